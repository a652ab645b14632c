import { spawn } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { withTimeout } from "./proc";
import type { Workspace } from "./workspace";

/** TLS material of the loopback cluster: a self-signed broker certificate for 127.0.0.1/localhost. */
export interface TlsMaterial {
  /** Broker key store (PKCS12). */
  keystorePath: string;
  keystorePassword: string;
  /** Trust store holding the broker certificate. JKS, so Java clients can read it without a password. */
  truststorePath: string;
  truststoreType: "JKS";
  /** Password of the trust store (optional for clients: JKS trusted entries load without it). */
  truststorePassword: string;
  /** The certificate as PEM, for Node clients (`ssl.ca`). */
  caPem: string;
  /** File holding {@link TlsMaterial.caPem} (for clients configured with a path, e.g. a Pulumi stack). */
  caPemPath: string;
}

async function keytool(args: string[], what: string): Promise<void> {
  const child = spawn("keytool", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const code = await withTimeout(
    new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", resolve);
    }),
    60_000,
    `keytool to ${what}`,
  );
  if (code !== 0) throw new Error(`keytool could not ${what} (exit ${code}): ${out}`);
}

/** Generates a fresh self-signed certificate (SAN 127.0.0.1, localhost) and its trust store. */
export async function generateTls(ws: Workspace, password: string): Promise<TlsMaterial> {
  const dir = ws.dir("tls");
  const keystorePath = join(dir, "broker.p12");
  const truststorePath = join(dir, "truststore.jks");
  const pem = join(dir, "ca.pem");
  await keytool(
    [
      "-genkeypair",
      "-alias",
      "broker",
      "-keyalg",
      "RSA",
      "-keysize",
      "2048",
      "-validity",
      "30",
      "-dname",
      "CN=localhost",
      "-ext",
      "SAN=ip:127.0.0.1,dns:localhost",
      "-keystore",
      keystorePath,
      "-storetype",
      "PKCS12",
      "-storepass",
      password,
      "-keypass",
      password,
    ],
    "generate the broker key pair",
  );
  await keytool(
    [
      "-exportcert",
      "-rfc",
      "-alias",
      "broker",
      "-keystore",
      keystorePath,
      "-storepass",
      password,
      "-file",
      pem,
    ],
    "export the broker certificate",
  );
  await keytool(
    [
      "-importcert",
      "-noprompt",
      "-alias",
      "broker",
      "-file",
      pem,
      "-keystore",
      truststorePath,
      "-storetype",
      "JKS",
      "-storepass",
      password,
    ],
    "build the trust store",
  );
  return {
    keystorePath,
    keystorePassword: password,
    truststorePath,
    truststoreType: "JKS",
    truststorePassword: password,
    caPem: readFileSync(pem, "utf8"),
    caPemPath: pem,
  };
}
