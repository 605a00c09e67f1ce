import type { TestProject } from 'vitest/node';
import { type DatabaseServer, findDatabaseServer } from './database-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string;
  }
}

let server: DatabaseServer | undefined;

export async function setup(project: TestProject) {
  server = await findDatabaseServer(process.env);
  project.provide('databaseServerUrl', server.serverUrl);
}

export async function teardown() {
  await server?.stop();
}
