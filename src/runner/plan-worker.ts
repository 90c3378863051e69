/**
 * A worker thread for planCampaignNdjson: compiles batches of audience rows and serializes the
 * plan items, so that a large audience uses every core. The main thread keeps reading the
 * audience, the duplicate check and the output order; this side is pure compile + stringify.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Diagnostic } from "../diagnostics.js";
import { compileMessage } from "../compiler/message.js";
import { compileCampaign, compileRow } from "../compiler/campaign.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import type { MessageSpec } from "../types/message.generated.js";

export interface PlanWorkerData {
  message: { spec: MessageSpec; file: string };
  campaign: { spec: CampaignSpec; file: string; audienceFile: string };
}

/** Rows to compile. CSV rows share one header (`keys` + flat `cells`); other rows are objects. */
export interface RowBatch {
  id: number;
  rows: number[];
  fromStrings: boolean;
  keys: string[] | null;
  cells: unknown[] | null;
  values: Record<string, unknown>[] | null;
}

export interface CompiledBatch {
  id: number;
  /** The items' NDJSON lines, UTF-8, transferred rather than copied. */
  text: Uint8Array;
  /** Per item: the byte offset where its line ends (after the newline), its row and number. */
  lineEnds: number[];
  itemRows: number[];
  numbers: (string | null)[];
  /** Rows that produced no item. */
  failedRows: number[];
  /** In row order. */
  diagnostics: Diagnostic[];
}

const encoder = new TextEncoder();

function setUp(data: PlanWorkerData): (batch: RowBatch) => CompiledBatch {
  const message = compileMessage(data.message.spec, data.message.file).message;
  const campaign =
    message &&
    compileCampaign(data.campaign.spec, data.campaign.file, message, { audienceFile: data.campaign.audienceFile }).campaign;
  // The main thread compiled the same specs successfully before starting workers.
  if (!campaign) throw new Error("plan worker: the campaign does not compile");

  return (batch) => {
    const lines: string[] = [];
    const lineEnds: number[] = [];
    const itemRows: number[] = [];
    const numbers: (string | null)[] = [];
    const failedRows: number[] = [];
    const diagnostics: Diagnostic[] = [];
    let bytes = 0;
    const width = batch.keys?.length ?? 0;
    for (let i = 0; i < batch.rows.length; i++) {
      const row = batch.rows[i]!;
      let values: Record<string, unknown>;
      if (batch.keys && batch.cells) {
        values = {};
        for (let k = 0; k < width; k++) values[batch.keys[k]!] = batch.cells[i * width + k];
      } else {
        values = batch.values![i]!;
      }
      const compiled = compileRow(campaign, values, row, { fromStrings: batch.fromStrings });
      for (const d of compiled.diagnostics) diagnostics.push(d);
      if (!compiled.item) {
        failedRows.push(row);
        continue;
      }
      const line = `${JSON.stringify(compiled.item)}\n`;
      bytes += Buffer.byteLength(line);
      lines.push(line);
      lineEnds.push(bytes);
      itemRows.push(row);
      numbers.push(compiled.number ?? null);
    }
    return { id: batch.id, text: encoder.encode(lines.join("")), lineEnds, itemRows, numbers, failedRows, diagnostics };
  };
}

if (parentPort && workerData && (workerData as { msgcPlanWorker?: unknown }).msgcPlanWorker) {
  const port = parentPort;
  const compileBatch = setUp((workerData as { data: PlanWorkerData }).data);
  port.on("message", (batch: RowBatch) => {
    const result = compileBatch(batch);
    port.postMessage(result, [result.text.buffer as ArrayBuffer]);
  });
}
