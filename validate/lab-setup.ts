import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { InputError } from "../lib/errors.ts";

/**
 * The lab's guest, built from Debian packages on this machine: a Debian cloud kernel (extracted
 * with `apt-get download` + `dpkg -x`, never installed on the host), and an initramfs holding
 * busybox-static, validate/guest/init.sh as PID 1 and validate/guest/loadgen.c compiled
 * statically. No disk image and no network: the guest's console is its serial port.
 */

const GUEST_DIR = fileURLToPath(new URL("./guest/", import.meta.url));

/** The Debian packages the lab runs on (QEMU 7.2 on Debian 12). */
const PACKAGES = ["qemu-system-x86", "busybox-static", "cpio", "gcc", "libc6-dev"] as const;

export interface LabImage {
  readonly dir: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly kernelPackage: string;
  readonly qemuVersion: string;
}

export function defaultLabDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "migbench-lab");
}

function run(command: string, args: readonly string[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.error) throw new InputError(command, result.error.message);
  if (result.status !== 0)
    throw new InputError(
      `${command} ${args.join(" ")}`,
      `exited with ${result.status}: ${(result.stderr || result.stdout).trim().split("\n").pop()}`,
    );
  return result.stdout;
}

function installed(pkg: string): boolean {
  // dpkg-query's own ${Status} field, not a template placeholder.
  const format = ["-f=$", "{Status}"].join("");
  const result = spawnSync("dpkg-query", ["-W", format, pkg], { encoding: "utf8" });
  return result.status === 0 && result.stdout.includes("install ok installed");
}

/** apt-get installs whatever of PACKAGES is missing (root only: the lab's one host change). */
function installPackages(log: (line: string) => void): void {
  const missing = PACKAGES.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new InputError(
      "validate:qemu --setup",
      `needs the Debian packages ${missing.join(", ")}: run as root, or apt-get install them`,
    );
  log(`setup: apt-get install ${missing.join(" ")}`);
  run("apt-get", ["update", "-qq"]);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const result = spawnSync("apt-get", ["install", "-y", "-qq", ...missing], {
    encoding: "utf8",
    env,
  });
  if (result.status !== 0)
    throw new InputError("apt-get install", result.stderr.trim().split("\n").pop() ?? "failed");
}

/** The kernel image package behind Debian's linux-image-cloud-amd64 meta-package. */
function cloudKernelPackage(): string {
  const depends = run("apt-cache", ["depends", "linux-image-cloud-amd64"]);
  const match = /Depends: (linux-image-[\w.-]+-cloud-amd64)/.exec(depends);
  if (!match) throw new InputError("apt-cache depends linux-image-cloud-amd64", "no image package");
  return match[1];
}

function extractKernel(dir: string, log: (line: string) => void): { kernel: string; pkg: string } {
  const pkg = cloudKernelPackage();
  const kernel = join(dir, `vmlinuz-${pkg.replace(/^linux-image-/, "")}`);
  if (existsSync(kernel)) return { kernel, pkg };
  log(`setup: apt-get download ${pkg} (extracted, not installed)`);
  const work = mkdtempSync(join(tmpdir(), "migbench-kernel-"));
  try {
    // apt-get download runs as _apt when it can; a world-writable work dir lets it.
    chmodSync(work, 0o777);
    run("apt-get", ["download", "-qq", pkg], work);
    const deb = readdirSync(work).find((name) => name.endsWith(".deb"));
    if (!deb) throw new InputError(`apt-get download ${pkg}`, "no .deb arrived");
    run("dpkg", ["-x", join(work, deb), join(work, "x")]);
    const boot = join(work, "x", "boot");
    const image = readdirSync(boot).find((name) => name.startsWith("vmlinuz-"));
    if (!image) throw new InputError(deb, "holds no vmlinuz");
    copyFileSync(join(boot, image), kernel);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { kernel, pkg };
}

/** A newc cpio archive, written by hand: cpio(1) is not needed for a handful of files. */
export function newcArchive(
  files: readonly { name: string; mode: number; data: Buffer }[],
): Buffer {
  const parts: Buffer[] = [];
  const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  const entry = (name: string, mode: number, data: Buffer) => {
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
    const header = `070701${fields.map((f) => f.toString(16).padStart(8, "0")).join("")}`;
    const head = Buffer.from(`${header}${name}\0`, "latin1");
    parts.push(head, pad4(head.length), data, pad4(data.length));
  };
  for (const file of files) entry(file.name, file.mode, file.data);
  entry("TRAILER!!!", 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

function buildInitrd(dir: string, log: (line: string) => void): string {
  const initrd = join(dir, "initrd.gz");
  const loadgen = join(dir, "loadgen");
  log("setup: gcc -static validate/guest/loadgen.c");
  run("gcc", ["-O2", "-static", "-o", loadgen, join(GUEST_DIR, "loadgen.c"), "-lm"]);
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => existsSync(p));
  if (!busybox) throw new InputError("busybox", "not found: install busybox-static");
  const directory = 0o040755;
  const executable = 0o100755;
  const archive = newcArchive([
    { name: "bin", mode: directory, data: Buffer.alloc(0) },
    { name: "proc", mode: directory, data: Buffer.alloc(0) },
    { name: "dev", mode: directory, data: Buffer.alloc(0) },
    { name: "bin/busybox", mode: executable, data: readFileSync(busybox) },
    { name: "init", mode: executable, data: readFileSync(join(GUEST_DIR, "init.sh")) },
    { name: "loadgen", mode: executable, data: readFileSync(loadgen) },
  ]);
  writeFileSync(initrd, gzipSync(archive, { level: 6 }));
  return initrd;
}

export function qemuVersion(): string {
  const text = execFileSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" });
  return /version ([\w.+~-]+)/.exec(text)?.[1] ?? text.split("\n")[0];
}

/** Installs and builds what the lab needs (idempotent); returns the guest image. */
export function setupLab(dir: string, log: (line: string) => void): LabImage {
  mkdirSync(dir, { recursive: true });
  installPackages(log);
  const { kernel, pkg } = extractKernel(dir, log);
  const initrd = buildInitrd(dir, log);
  const image: LabImage = { dir, kernel, initrd, kernelPackage: pkg, qemuVersion: qemuVersion() };
  writeFileSync(join(dir, "lab.json"), `${JSON.stringify(image, null, 2)}\n`);
  return image;
}

/** The image an earlier --setup built, or an InputError saying to run it. */
export function readLab(dir: string): LabImage {
  const path = join(dir, "lab.json");
  if (!existsSync(path))
    throw new InputError(dir, "no lab here yet: run npm run validate:qemu -- --setup first");
  const image = JSON.parse(readFileSync(path, "utf8")) as LabImage;
  for (const file of [image.kernel, image.initrd])
    if (!existsSync(file)) throw new InputError(file, "missing: run --setup again");
  return image;
}
