// A model's tensors, named like PyTorch's state_dict, laid out in wasm memory. Trainable tensors
// share one contiguous block (and their gradients a second block with the same layout), so an
// optimiser updates every parameter in one kernel call. Buffers that are not trained (batch
// norm's running statistics) live in a block of their own.

import { firstNonFinite } from "./ops/elementwise.js";
import { Matrix } from "./tensor.js";
import type { Runtime } from "./wasm/load.js";
import type { NamedTensor } from "./safetensors.js";

export interface TensorSpec {
  name: string;
  shape: number[];
  trainable: boolean;
}

interface Slot {
  spec: TensorSpec;
  size: number;
  offset: number; // in floats, inside its block
}

export class ParameterSet {
  private readonly slots = new Map<string, Slot>();
  /** The trainable block (1 × length), and its gradients in the same layout. */
  readonly values: Matrix;
  readonly grads: Matrix;
  readonly length: number;
  private readonly buffers: Matrix;

  constructor(readonly runtime: Runtime, readonly specs: TensorSpec[]) {
    let trainable = 0;
    let fixed = 0;
    for (const spec of specs) {
      if (this.slots.has(spec.name)) throw new Error(`duplicate tensor name ${spec.name}`);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      // Each tensor starts on a 16-byte boundary, so kernels may read it four floats at a time.
      const padded = Math.ceil(size / 4) * 4;
      if (spec.trainable) {
        this.slots.set(spec.name, { spec, size, offset: trainable });
        trainable += padded;
      } else {
        this.slots.set(spec.name, { spec, size, offset: fixed });
        fixed += padded;
      }
    }
    this.length = trainable;
    this.values = new Matrix(runtime, 1, trainable);
    this.grads = new Matrix(runtime, 1, trainable);
    this.buffers = new Matrix(runtime, 1, fixed);
  }

  /** A tensor's values as a matrix view: [out, in] for a weight, 1 × n for a vector. */
  matrix(name: string): Matrix {
    const slot = this.slot(name);
    return this.at(slot.spec.trainable ? this.values : this.buffers, slot);
  }

  /** A trainable tensor's gradient, shaped as matrix(name). */
  gradMatrix(name: string): Matrix {
    const slot = this.slot(name);
    if (!slot.spec.trainable) throw new Error(`${name} is not trainable: it has no gradient`);
    return this.at(this.grads, slot);
  }

  /**
   * The first non-finite trainable value, named: "layers.2.weight[17] = NaN", or undefined when all
   * are finite. Names where training blew up.
   */
  firstNonFinite(): string | undefined {
    const index = firstNonFinite(this.values);
    if (index < 0) return undefined;
    const value = this.values.view()[index];
    for (const [name, slot] of this.slots) {
      if (slot.spec.trainable && index >= slot.offset && index < slot.offset + slot.size) return `${name}[${index - slot.offset}] = ${value}`;
    }
    return `parameter ${index} = ${value}`;
  }

  /** A view of a tensor's values (valid until the next allocation). */
  view(name: string): Float32Array {
    return this.matrix(name).view();
  }

  gradView(name: string): Float32Array {
    return this.gradMatrix(name).view();
  }

  /** Copies of every tensor, in state_dict order. */
  toTensors(): NamedTensor[] {
    return this.specs.map((spec) => ({ name: spec.name, shape: [...spec.shape], data: this.view(spec.name).slice() }));
  }

  /** Set every tensor from `tensors`; names and shapes must match exactly. `source` names the origin in errors. */
  load(tensors: Map<string, NamedTensor>, source: string): void {
    for (const spec of this.specs) {
      const t = tensors.get(spec.name);
      if (!t) throw new Error(`${source}: tensor ${spec.name} is missing`);
      if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
        throw new Error(`${source}: tensor ${spec.name} has shape [${t.shape}], the model expects [${spec.shape}]`);
      }
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`${source}: tensor ${spec.name} holds a non-finite value (${t.data[bad]}) at index ${bad}`);
    }
    const extra = [...tensors.keys()].filter((name) => !this.slots.has(name));
    if (extra.length) throw new Error(`${source}: unexpected tensors ${extra.join(", ")} for this architecture`);
    for (const spec of this.specs) this.view(spec.name).set(tensors.get(spec.name)!.data);
  }

  /** SHA-256 (hex) of every tensor's little-endian float32 bytes, in state_dict order. */
  async sha256(): Promise<string> {
    const total = this.specs.reduce((n, s) => n + this.slot(s.name).size, 0);
    const bytes = new Uint8Array(total * 4);
    const out = new DataView(bytes.buffer);
    let at = 0;
    for (const spec of this.specs) {
      for (const v of this.view(spec.name)) {
        out.setFloat32(at, v, true);
        at += 4;
      }
    }
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  free(): void {
    this.values.free();
    this.grads.free();
    this.buffers.free();
  }

  private at(block: Matrix, slot: Slot): Matrix {
    const { shape } = slot.spec;
    const rows = shape.length > 1 ? shape[0] : 1;
    return new Matrix(this.runtime, rows, rows ? slot.size / rows : 0, block.ptr + slot.offset * 4);
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`no tensor named ${name}`);
    return slot;
  }
}
