/** The training worker: one {@link ReplicaCore} driven by messages from the trainer. */

import { parentPort } from "node:worker_threads";
import { ReplicaCore } from "./replica.js";

let core: ReplicaCore | undefined;

parentPort!.on("message", async (m: { id: number; op: string; args: any[] }) => {
  try {
    let result: unknown;
    const transfer: ArrayBuffer[] = [];
    if (m.op === "init") core = await ReplicaCore.create(m.args[0]);
    else if (!core) throw new Error("worker not initialized");
    else if (m.op === "setState") core.setState(m.args[0], m.args[1]);
    else if (m.op === "forward") result = core.forward(m.args[0], m.args[1], m.args[2]);
    else if (m.op === "backward") result = core.backward(m.args[0]);
    else if (m.op === "apply") core.apply(m.args[0], m.args[1]);
    else if (m.op === "state") result = core.state();
    else throw new Error(`unknown op ${m.op}`);
    if (result instanceof Float32Array) transfer.push(result.buffer as ArrayBuffer);
    parentPort!.postMessage({ id: m.id, result }, transfer);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
