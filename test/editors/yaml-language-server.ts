import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../cli/helpers.js";

/**
 * The real `yaml-language-server` (the one the VS Code YAML extension runs) over stdio, with the
 * LSP's Content-Length framing: what an editor shows a spec author, without an editor.
 */

const SERVER = join(repoRoot, "node_modules", "yaml-language-server", "bin", "yaml-language-server");

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface LspDiagnostic {
  range: LspRange;
  message: string;
  severity?: number;
  source?: string;
}

export interface LspCompletionItem {
  label: string;
  kind?: number;
  documentation?: string | { kind: string; value: string };
  insertText?: string;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export class YamlLanguageServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly diagnosticWaiters = new Map<string, (diagnostics: LspDiagnostic[]) => void>();
  private readonly settings: Record<string, unknown>;
  private stderr = "";

  /** `settings` is the `yaml` section a workspace's .vscode/settings.json would give. */
  constructor(private readonly root: string, settings: Record<string, unknown>) {
    this.settings = settings;
    this.child = spawn(process.execPath, [SERVER, "--stdio"], { cwd: root, env: { PATH: process.env.PATH } });
    this.child.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on("exit", () => {
      for (const p of this.pending.values()) p.reject(new Error(`yaml-language-server exited: ${this.stderr}`));
      this.pending.clear();
    });
  }

  async start(): Promise<void> {
    const rootUri = pathToFileURL(this.root).href;
    await this.request("initialize", {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: "project" }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } },
        textDocument: {
          completion: { completionItem: { snippetSupport: false, documentationFormat: ["plaintext"] } },
          publishDiagnostics: {},
          hover: { contentFormat: ["plaintext"] },
        },
      },
    });
    this.notify("initialized", {});
    this.notify("workspace/didChangeConfiguration", { settings: { yaml: this.settings } });
  }

  /** Opens a document and waits for the diagnostics the server publishes for it. */
  async open(uri: string, text: string): Promise<LspDiagnostic[]> {
    const published = new Promise<LspDiagnostic[]>((resolve) => this.diagnosticWaiters.set(uri, resolve));
    this.notify("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version: 1, text } });
    return published;
  }

  async complete(uri: string, line: number, character: number): Promise<LspCompletionItem[]> {
    const result = (await this.request("textDocument/completion", { textDocument: { uri }, position: { line, character } })) as
      | { items: LspCompletionItem[] }
      | LspCompletionItem[]
      | null;
    if (result === null) return [];
    return Array.isArray(result) ? result : result.items;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    try {
      await this.request("shutdown", null);
      this.notify("exit", null);
    } catch {
      // Already gone: nothing to shut down.
    }
    const timer = setTimeout(() => this.child.kill(), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    const answered = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.send({ jsonrpc: "2.0", id, method, params });
    return answered;
  }

  private notify(method: string, params: unknown): void {
    this.send({ jsonrpc: "2.0", method, params });
  }

  private send(message: unknown): void {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    this.child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString("ascii"))?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } });
    }
  }

  private dispatch(message: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } }): void {
    if (message.method === undefined && message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
      return;
    }
    if (message.method === "textDocument/publishDiagnostics") {
      const { uri, diagnostics } = message.params as { uri: string; diagnostics: LspDiagnostic[] };
      const waiter = this.diagnosticWaiters.get(uri);
      this.diagnosticWaiters.delete(uri);
      waiter?.(diagnostics);
      return;
    }
    if (message.id !== undefined) {
      // A request from the server (workspace/configuration, client/registerCapability...).
      const result = message.method === "workspace/configuration"
        ? ((message.params as { items: { section?: string }[] }).items).map((item) => (item.section === "yaml" ? this.settings : null))
        : null;
      this.send({ jsonrpc: "2.0", id: message.id, result });
    }
  }
}
