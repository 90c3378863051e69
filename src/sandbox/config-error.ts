/** A sandbox option or input file that cannot be used (bad templates file, port in use, ...). */
export class SandboxConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxConfigError";
  }
}
