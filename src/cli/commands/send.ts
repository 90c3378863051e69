import type { CommandHandler } from "../io.js";
import { UsageError } from "../io.js";

// Placeholder until the owning change lands.
export const run: CommandHandler = async () => {
  throw new UsageError("msgc send is not implemented yet");
};
