/** Every codec and workload works on 4096-byte pages, the x86 page size QEMU migrates. */
export const PAGE_SIZE = 4096;
