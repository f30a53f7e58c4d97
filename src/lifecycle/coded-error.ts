/** The one base of the bridge's own error classes: a message that says what to fix and a stable code. */

/**
 * An error with a stable `code` callers branch on (and map to gRPC statuses or exit codes at the
 * edge). The class name becomes the error's `name`. Messages never carry secrets.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
