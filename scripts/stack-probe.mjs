// Small probes for scripts/stack.sh, in Node so the stack needs neither curl nor a MySQL client:
//
//   node scripts/stack-probe.mjs free-port                  print a free loopback TCP port
//   node scripts/stack-probe.mjs db-ping URL                exit 0 when the MySQL server answers
//   node scripts/stack-probe.mjs db-drop URL                drop the database named in URL's path
//   node scripts/stack-probe.mjs db-client-config URL FILE  write URL's user, password, host and
//        port as a MySQL client option file (mode 0600, for --defaults-extra-file), print the
//        database name
//   node scripts/stack-probe.mjs wait-http URL SECONDS [CA_FILE] [--watch PID]
//        poll URL until it answers 200; an https URL's host is connected on 127.0.0.1 and its
//        certificate checked against CA_FILE (the stack's own CA), name and chain included;
//        --watch gives up at once when process PID (the server being waited for) has exited
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import mysql from 'mysql2/promise';

const [command, ...args] = process.argv.slice(2);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function dbPing(url) {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 2_000 });
  await connection.end();
}

async function dbDrop(url) {
  const parsed = new URL(url);
  const name = parsed.pathname.slice(1);
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`not a database name: ${name}`);
  parsed.pathname = '/';
  const connection = await mysql.createConnection({
    uri: parsed.toString(),
    connectTimeout: 5_000,
  });
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await connection.end();
}

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** A [client] option file, so no password is ever on a command line. */
function dbClientConfig(url, file) {
  const parsed = new URL(url);
  const name = parsed.pathname.slice(1);
  if (!DATABASE_NAME.test(name)) throw new Error(`not a database name: ${name}`);
  const option = (key, value) => {
    if (/[\n\r]/.test(value)) throw new Error(`a newline in the database URL's ${key}`);
    return `${key}="${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"\n`;
  };
  const lines = [
    '[client]\n',
    option('user', decodeURIComponent(parsed.username || 'root')),
    parsed.password ? option('password', decodeURIComponent(parsed.password)) : '',
    option('host', parsed.hostname),
    `port=${Number(parsed.port || 3306)}\n`,
    'protocol=tcp\n',
  ];
  writeFileSync(file, lines.join(''), { mode: 0o600 });
  console.log(name);
}

function getStatus(url, caFile) {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'https:';
  const options = {
    timeout: 2_000,
    ...(secure
      ? {
          ca: caFile ? readFileSync(caFile) : undefined,
          servername: parsed.hostname,
          // The stack listens on loopback; the name is still the one checked in the certificate.
          lookup: (_host, _options, callback) =>
            callback(null, [{ address: '127.0.0.1', family: 4 }]),
        }
      : {}),
  };
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).get(url, options, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

function exited(pid) {
  if (!pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch {
    return true;
  }
}

async function waitHttp(url, seconds, caFile, watchPid) {
  const deadline = Date.now() + Number(seconds) * 1_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited(watchPid)) throw new Error(`${url}: the server process ${watchPid} has exited`);
    try {
      const status = await getStatus(url, caFile);
      if (status === 200) return;
      last = `status ${status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer 200 within ${seconds} s (last: ${last})`);
}

try {
  if (command === 'free-port') console.log(await freePort());
  else if (command === 'db-ping') await dbPing(args[0]);
  else if (command === 'db-drop') await dbDrop(args[0]);
  else if (command === 'db-client-config') dbClientConfig(args[0], args[1]);
  else if (command === 'wait-http') {
    const watch = args.indexOf('--watch');
    const watchPid = watch === -1 ? undefined : args.splice(watch, 2)[1];
    await waitHttp(args[0], args[1] ?? '60', args[2], watchPid);
  } else {
    console.error(
      'usage: stack-probe.mjs free-port | db-ping URL | db-drop URL | db-client-config URL FILE | wait-http URL SECONDS [CA_FILE]',
    );
    process.exit(2);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
