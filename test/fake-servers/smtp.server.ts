import { spawn, type ChildProcess } from 'node:child_process';
import { closedPort } from '../contracts/notifier-fakes.js';
import { waitForPort } from './mosquitto.server.js';

/**
 * A real SMTP sink: aiosmtpd under Debian's python (TEST-PEERS.md), printing every message it
 * takes to stdout (`-c aiosmtpd.handlers.Debugging`), stopped by PID.
 */
export class SmtpSink {
  readonly port: number;
  private readonly child: ChildProcess;
  private out = '';

  private constructor(port: number, child: ChildProcess) {
    this.port = port;
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
    });
  }

  static async start(): Promise<SmtpSink> {
    const port = await closedPort();
    const child = spawn(
      '/usr/bin/python3',
      ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Debugging'],
      {
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const sink = new SmtpSink(port, child);
    await waitForPort(port, 10_000);
    return sink;
  }

  /** Everything the sink printed: the raw messages it accepted, headers and parts. */
  get received(): string {
    return this.out;
  }

  /** Waits until the sink has printed `text` (its output is flushed asynchronously). */
  async waitFor(text: string, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.out.includes(text)) {
      if (Date.now() > deadline) throw new Error(`the SMTP sink never printed "${text}"`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
  }
}
