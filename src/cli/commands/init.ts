import type { CommandHandler } from "../io.js";
import { UsageError } from "../io.js";

// Placeholder until the owning change lands.
export const run: CommandHandler = async () => {
  throw new UsageError("msgc init is not implemented yet");
};
