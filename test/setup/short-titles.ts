import { beforeEach } from "vitest";

/**
 * A test's title is printed by every run: a `%s` that picks up a payload instead of a case name
 * once printed a 1 MiB title. Every test fails before it runs when its own title is longer.
 */
export const MAX_TITLE = 200;

/** Why `title` is not a fit test title, or undefined when it is. */
export function titleProblem(title: string): string | undefined {
  if (title.length <= MAX_TITLE) return undefined;
  return `test title is ${title.length} characters (at most ${MAX_TITLE}): name the case, not its payload: ${JSON.stringify(title.slice(0, 60))}…`;
}

beforeEach(({ task }) => {
  const problem = titleProblem(task.name);
  if (problem !== undefined) throw new Error(problem);
});
