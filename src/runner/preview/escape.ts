/** Escaping for the two markup outputs. User text is never trusted as markup. */

const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Control characters (escape sequences, carriage returns, bidirectional overrides) made
 * visible, so user text cannot drive a terminal or hide what it says. Line breaks and tabs stay.
 */
export function visibleControls(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/\u007f/g, "\u2421")
    .replace(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/g, "\ufffd");
}

export function escapeHtml(text: string): string {
  return visibleControls(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] as string);
}

/**
 * Markdown text that renders as exactly `text` on GitHub and GitLab: HTML special characters
 * become entities, markdown punctuation is backslash-escaped, `@` is an entity so sample text
 * does not mention people, and line breaks become `<br>`.
 */
export function markdownText(text: string): string {
  return visibleControls(text)
    .replace(/[&<>"]/g, (c) => HTML_ENTITIES[c] as string)
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, "\\$&")
    .replace(/@/g, "&#64;")
    .replace(/\r?\n/g, "<br>");
}

/** An inline code span that holds any text (backticks included) on one line. */
export function markdownCode(text: string): string {
  const flat = visibleControls(text.replace(/\r?\n/g, " "));
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat === "" ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block that no line of `text` can close, its control characters made visible. */
export function markdownFence(raw: string, info = ""): string {
  const text = visibleControls(raw);
  const longestRun = Math.max(2, ...(text.match(/`{3,}/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  return `${fence}${info}\n${text}\n${fence}`;
}

/**
 * A self-contained page: inline CSS only, and a Content-Security-Policy that forbids scripts and
 * every request. `title` is escaped here; `header` and `main` are markup already escaped.
 */
export function htmlPage(parts: { title: string; style: string; header: string; main: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<title>${escapeHtml(parts.title)}</title>
<style>${parts.style}</style>
</head>
<body>
<header class="top">${parts.header}</header>
<main>
${parts.main}
</main>
</body>
</html>
`;
}
