import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { closedPort } from '../contracts/notifier-fakes.js';

/** A real mosquitto on 127.0.0.1 with its own config and port, stopped by PID (TEST-PEERS.md). */
export class Mosquitto {
  readonly port: number;
  private readonly child: ChildProcess;
  private readonly dir: string;

  private constructor(port: number, child: ChildProcess, dir: string) {
    this.port = port;
    this.child = child;
    this.dir = dir;
  }

  static async start(): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'onair-mosquitto-'));
    const port = await closedPort();
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n`,
    );
    const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    const broker = new Mosquitto(port, child, dir);
    await waitForPort(port, 5_000);
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The retained messages under `filter`, as a new subscriber receives them. */
  async retained(filter: string): Promise<Map<string, string>> {
    const client = await connectAsync(this.url, { reconnectPeriod: 0 });
    const seen = new Map<string, string>();
    client.on('message', (topic, payload, packet) => {
      if (packet.retain) seen.set(topic, payload.toString('utf8'));
    });
    await client.subscribeAsync(filter, { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await client.endAsync();
    return seen;
  }

  /** Subscribes now; `messages` collects everything published from here on. */
  async listen(filter: string): Promise<{
    messages: { topic: string; payload: string; retain: boolean }[];
    stop(): Promise<void>;
  }> {
    const client = await connectAsync(this.url, { reconnectPeriod: 0 });
    const messages: { topic: string; payload: string; retain: boolean }[] = [];
    client.on('message', (topic, payload, packet) => {
      messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain });
    });
    await client.subscribeAsync(filter, { qos: 1 });
    return { messages, stop: () => client.endAsync() };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => {
        resolve(false);
      });
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
