// The heap over wasm linear memory. TypeScript owns every allocation: kernels only receive
// pointers. First-fit over an address-ordered free list with coalescing; the memory grows on
// demand up to wasm32's 4 GiB.
//
// memory.grow detaches every typed-array view, so views are made afresh from memory.buffer by
// f32()/u8()/… at each use and must not be kept across a call that may allocate.

const ALIGN = 16;
const PAGE = 65536;
const MAX_BYTES = 4 * 1024 * 1024 * 1024;

interface Block {
  ptr: number;
  size: number;
}

export class Heap {
  private readonly freeList: Block[] = [];
  private readonly sizes = new Map<number, number>();
  private end: number;
  private used = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    const start = align(base);
    this.end = memory.buffer.byteLength;
    if (this.end > start) this.freeList.push({ ptr: start, size: this.end - start });
  }

  /** Bytes currently allocated. */
  get bytesInUse(): number {
    return this.used;
  }

  /** A 16-byte-aligned block of at least `bytes` bytes (contents unspecified). */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`heap: cannot allocate ${bytes} bytes`);
    const size = align(Math.max(bytes, ALIGN));
    let index = this.freeList.findIndex((b) => b.size >= size);
    if (index < 0) {
      this.grow(size);
      index = this.freeList.findIndex((b) => b.size >= size);
    }
    const block = this.freeList[index];
    const ptr = block.ptr;
    if (block.size === size) this.freeList.splice(index, 1);
    else {
      block.ptr += size;
      block.size -= size;
    }
    this.sizes.set(ptr, size);
    this.used += size;
    return ptr;
  }

  /** A zero-filled block of `count` float32 values. */
  allocF32(count: number): number {
    const ptr = this.alloc(count * 4);
    this.f32(ptr, count).fill(0);
    return ptr;
  }

  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`heap: ${ptr} is not an allocated block (double free?)`);
    this.sizes.delete(ptr);
    this.used -= size;
    this.insertFree({ ptr, size });
  }

  f32(ptr: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, count);
  }

  f64(ptr: number, count: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, count);
  }

  u8(ptr: number, count: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, count);
  }

  u32(ptr: number, count: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, count);
  }

  i32(ptr: number, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, count);
  }

  private grow(size: number): void {
    // Reuse a free block that ends at the top of memory, so growth only adds what is missing.
    const last = this.freeList[this.freeList.length - 1];
    const tail = last && last.ptr + last.size === this.end ? last.size : 0;
    const needed = size - tail;
    const pages = Math.ceil(needed / PAGE);
    if (this.end + pages * PAGE > MAX_BYTES) {
      throw new RangeError(
        `out of wasm memory: asked for ${size} bytes with ${this.used} in use; ` +
          `wasm32 memory ends at 4 GiB (is the model or batch too large?)`,
      );
    }
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new RangeError(`out of wasm memory: could not grow by ${pages * PAGE} bytes for an allocation of ${size} bytes`, { cause });
    }
    this.insertFree({ ptr: this.end, size: pages * PAGE });
    this.end += pages * PAGE;
  }

  private insertFree(block: Block): void {
    const list = this.freeList;
    let i = 0;
    while (i < list.length && list[i].ptr < block.ptr) i++;
    list.splice(i, 0, block);
    const next = list[i + 1];
    if (next && block.ptr + block.size === next.ptr) {
      block.size += next.size;
      list.splice(i + 1, 1);
    }
    const prev = list[i - 1];
    if (prev && prev.ptr + prev.size === block.ptr) {
      prev.size += block.size;
      list.splice(i, 1);
    }
  }
}

/**
 * Scratch allocations released together: per-batch buffers take an Arena and free it when the
 * batch (or the model's current batch size) is done with them.
 */
export class Arena {
  private readonly blocks: number[] = [];

  constructor(readonly heap: Heap) {}

  alloc(bytes: number): number {
    const ptr = this.heap.alloc(bytes);
    this.blocks.push(ptr);
    return ptr;
  }

  allocF32(count: number): number {
    const ptr = this.heap.allocF32(count);
    this.blocks.push(ptr);
    return ptr;
  }

  release(): void {
    for (const ptr of this.blocks) this.heap.free(ptr);
    this.blocks.length = 0;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
