/**
 * Every problem `type` Ymera answers is this prefix and a code: `urn:ymera:problem:task-not-found`.
 * Absolute, so it means the same whichever host answered (RFC 9457 recommends absolute type URIs),
 * and not a locator, so clients compare it and never fetch it. README "Errors" lists every type.
 */
export const PROBLEM_TYPE_BASE = 'urn:ymera:problem:';

/** The problem `type` of a code. */
export function problemTypeUri(code: string): string {
  return `${PROBLEM_TYPE_BASE}${code}`;
}

/** How one kind of error is answered (status, title) and documented (meaning). */
export interface ProblemType {
  status: number;
  /** The problem's `title`: the same for every occurrence of the type. */
  title: string;
  /** When a client gets it and what to do about it (README "Errors", the OpenAPI document). */
  meaning: string;
}

/**
 * A module's codes and how each is answered. Keyed by the module's whole code enum, so a code
 * without its status and title does not compile.
 */
export type ProblemTypes<Code extends string> = { readonly [C in Code]: ProblemType };

/**
 * A known failure of a module: a code from the module's enum and a message written for clients
 * (the problem's `detail`, whatever the status). The exception filter answers it with the status,
 * title and type its module's table gives the code.
 */
export abstract class DomainError<Code extends string = string> extends Error {
  protected constructor(
    readonly code: Code,
    message: string,
    private readonly types: ProblemTypes<Code>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get problemType(): ProblemType {
    return this.types[this.code];
  }

  /** The problem `type` URI of the code. */
  get typeUri(): string {
    return problemTypeUri(this.code);
  }
}

/** One problem type as the README and the OpenAPI document list it. */
export interface DocumentedProblemType extends ProblemType {
  /** The module whose errors.ts defines it (common for src/common). */
  module: string;
  code: string;
  /** The problem `type` URI. */
  type: string;
}

/** Every problem type of the application, for its documentation (src/problem-types.ts builds it). */
export interface ProblemCatalog {
  types: readonly DocumentedProblemType[];
  /**
   * The code answered for each status every route shares (the guards, the validation pipe, body
   * parsing): the type of those statuses' examples in the OpenAPI document.
   */
  sharedStatusCodes: Readonly<Record<number, string>>;
}

/** A module's table as documentation entries, in the table's order. */
export function documentedProblemTypes<Code extends string>(
  module: string,
  types: ProblemTypes<Code>,
): DocumentedProblemType[] {
  return (Object.entries(types) as [Code, ProblemType][]).map(([code, problem]) => ({
    module,
    code,
    type: problemTypeUri(code),
    ...problem,
  }));
}
