// The few WebAssembly JS-API types migbench's wasm kernels use. Node 20 has the API as a global,
// but neither lib "ES2023" nor @types/node 20 declares it (only lib "dom" does, which would bring
// browser globals in), so declare just what codecs/xbzrle.ts and lib/page-memory.ts call.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
