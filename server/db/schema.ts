/**
 * The database schema, in one place. drizzle-kit generates the migrations in db/migrations
 * from this file (`npm run db:generate`). Only types both MySQL 8.4 and MariaDB 10.11 accept.
 */
import {
  bigint,
  datetime,
  index,
  int,
  mysqlTable,
  primaryKey,
  text,
  tinyint,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';

export const users = mysqlTable(
  'users',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    /** As typed at sign-up; immutable. */
    username: varchar('username', { length: 32 }).notNull(),
    /** Lower-cased: case-insensitive uniqueness without relying on a collation. */
    usernameKey: varchar('username_key', { length: 32 }).notNull(),
    /** The password record of server/auth/password-hash.ts (algorithm, parameters, salt, hash). */
    passwordHash: varchar('password_hash', { length: 255 }).notNull(),
    /** Consecutive failed sign-in factors (§5.2.2); reset by a success. 100 locks the account. */
    failedAttempts: int('failed_attempts', { unsigned: true }).notNull().default(0),
    /** The growing delay: no password attempt is weighed before this instant. */
    nextAttemptAt: datetime('next_attempt_at', { mode: 'date', fsp: 3 }),
    /** Set when the failure count reached the lockout threshold; cleared by key + recovery code. */
    lockedAt: datetime('locked_at', { mode: 'date', fsp: 3 }),
    /** Evidence that the password is compromised: sign-in then only allows a password change. */
    passwordCompromisedAt: datetime('password_compromised_at', { mode: 'date', fsp: 3 }),
    passwordChangedAt: datetime('password_changed_at', { mode: 'date', fsp: 3 }).notNull(),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (table) => [uniqueIndex('users_username_key_unique').on(table.usernameKey)],
);

export const sessions = mysqlTable(
  'sessions',
  {
    /** SHA-256 of the session token, hex: the token itself is never stored. */
    idHash: varchar('id_hash', { length: 64 }).primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /**
     * What the session may do: 'full' (AAL2), 'rebind' (signed in with a recovery code: may only
     * bind a new security key) or 'password_change' (compromised password: may only change it).
     */
    kind: varchar('kind', { length: 16 }).notNull(),
    /** The anti-CSRF token every state-changing request of this session carries in a header. */
    csrfToken: varchar('csrf_token', { length: 64 }).notNull(),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
    /** The last authentication (sign-in or password reauthentication): the 12 h limit counts from it. */
    authenticatedAt: datetime('authenticated_at', { mode: 'date', fsp: 3 }).notNull(),
    /** The last user-initiated request: the 30 min idle limit counts from it. */
    lastActiveAt: datetime('last_active_at', { mode: 'date', fsp: 3 }).notNull(),
    ip: varchar('ip', { length: 45 }).notNull(),
    userAgent: varchar('user_agent', { length: 255 }).notNull(),
  },
  (table) => [index('sessions_user_id_idx').on(table.userId)],
);

/** WebAuthn security keys. Rows are never deleted or their key changed: revocation sets revoked_at. */
export const webauthnCredentials = mysqlTable(
  'webauthn_credentials',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** base64url credential id, as the browser reports it (up to 1023 bytes). */
    credentialId: varchar('credential_id', { length: 1400 }).notNull(),
    /** SHA-256 of credential_id, hex: the unique index (the id itself is too long to index). */
    credentialIdHash: varchar('credential_id_hash', { length: 64 }).notNull(),
    /** COSE public key, base64url. */
    publicKey: varchar('public_key', { length: 2048 }).notNull(),
    /** The signature counter last seen. */
    signCount: bigint('sign_count', { mode: 'number', unsigned: true }).notNull(),
    /** Comma-separated transports the browser reported. */
    transports: varchar('transports', { length: 255 }).notNull(),
    name: varchar('name', { length: 64 }).notNull(),
    /**
     * The backup flags of the registration (WebAuthn BE/BS, as SimpleWebAuthn reports them):
     * 'singleDevice' (device-bound) or 'multiDevice' (may be synced); null for keys bound before
     * they were recorded.
     */
    deviceType: varchar('device_type', { length: 16 }),
    /** The credential was backed up (synced) when it was registered; null when unknown. */
    backedUp: tinyint('backed_up', { unsigned: true }),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
    createdIp: varchar('created_ip', { length: 45 }).notNull(),
    createdUserAgent: varchar('created_user_agent', { length: 255 }).notNull(),
    lastUsedAt: datetime('last_used_at', { mode: 'date', fsp: 3 }),
    revokedAt: datetime('revoked_at', { mode: 'date', fsp: 3 }),
  },
  (table) => [
    uniqueIndex('webauthn_credentials_id_hash_unique').on(table.credentialIdHash),
    index('webauthn_credentials_user_id_idx').on(table.userId),
  ],
);

/**
 * Authenticator apps (TOTP, §5.1.4): at most one active per account. The secret is sealed with
 * AES-256-GCM under a key kept outside the database (TOTP_KEY_FILE), never shown after
 * enrolment. Rows are never deleted: removal sets revoked_at (§6.1 record of bindings).
 */
export const totpAuthenticators = mysqlTable(
  'totp_authenticators',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The sealed secret (server/auth/secret-sealer.ts). */
    secretSealed: varchar('secret_sealed', { length: 255 }).notNull(),
    /** The last time step accepted (§5.1.4.2: each step once); the enrolment's step at first. */
    lastStep: bigint('last_step', { mode: 'number', unsigned: true }).notNull(),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
    createdIp: varchar('created_ip', { length: 45 }).notNull(),
    createdUserAgent: varchar('created_user_agent', { length: 255 }).notNull(),
    lastUsedAt: datetime('last_used_at', { mode: 'date', fsp: 3 }),
    revokedAt: datetime('revoked_at', { mode: 'date', fsp: 3 }),
  },
  (table) => [index('totp_authenticators_user_id_idx').on(table.userId)],
);

/** Look-up secrets (§5.1.2): each code salted and hashed, numbered 1..10, used once. */
export const recoveryCodes = mysqlTable(
  'recovery_codes',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    number: tinyint('number', { unsigned: true }).notNull(),
    codeHash: varchar('code_hash', { length: 255 }).notNull(),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
    usedAt: datetime('used_at', { mode: 'date', fsp: 3 }),
  },
  (table) => [uniqueIndex('recovery_codes_user_number_unique').on(table.userId, table.number)],
);

/**
 * Sign-ups, sign-ins and unlocks in progress. Each is known by the SHA-256 of a random secret
 * the browser holds in memory and shows at every step; it expires within minutes. A pending
 * sign-up keeps its password record, key and code hashes here: no user row exists until the
 * last step, so an abandoned sign-up leaves no usable account.
 */
export const authAttempts = mysqlTable(
  'auth_attempts',
  {
    idHash: varchar('id_hash', { length: 64 }).primaryKey(),
    /** 'signup' | 'signin' | 'unlock' | 'bind' */
    kind: varchar('kind', { length: 16 }).notNull(),
    /** Where the attempt stands, e.g. 'password', 'key', 'codes'. */
    step: varchar('step', { length: 16 }).notNull(),
    userId: bigint('user_id', { mode: 'number', unsigned: true }).references(() => users.id, {
      onDelete: 'cascade',
    }),
    username: varchar('username', { length: 32 }),
    usernameKey: varchar('username_key', { length: 32 }),
    passwordHash: varchar('password_hash', { length: 255 }),
    /** WebAuthn challenge (base64url), single use. */
    challenge: varchar('challenge', { length: 128 }),
    challengeExpiresAt: datetime('challenge_expires_at', { mode: 'date', fsp: 3 }),
    /** SHA-256 of the CAPTCHA answer, hex; single use. */
    captchaHash: varchar('captcha_hash', { length: 64 }),
    captchaExpiresAt: datetime('captcha_expires_at', { mode: 'date', fsp: 3 }),
    /** The recovery code this attempt asks for (§5.1.2.2: a specific numbered code). */
    recoveryCodeNumber: tinyint('recovery_code_number', { unsigned: true }),
    /** A pending sign-up's verified credential and code hashes, as JSON. */
    pendingData: text('pending_data'),
    ip: varchar('ip', { length: 45 }).notNull(),
    userAgent: varchar('user_agent', { length: 255 }).notNull(),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
    expiresAt: datetime('expires_at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (table) => [index('auth_attempts_expires_at_idx').on(table.expiresAt)],
);

/** The security event log of each account: sign-ins, failures, keys bound and removed, codes used. */
export const securityEvents = mysqlTable(
  'security_events',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: varchar('type', { length: 40 }).notNull(),
    ip: varchar('ip', { length: 45 }).notNull(),
    userAgent: varchar('user_agent', { length: 255 }).notNull(),
    /** A short non-secret detail, e.g. a key's name or a code's number. */
    detail: varchar('detail', { length: 255 }),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (table) => [index('security_events_user_created_idx').on(table.userId, table.createdAt)],
);

/**
 * Chat messages as the relay stored them: the protocol's JSON wire text (kx-offer, kx-reply,
 * msg or change), which is ciphertext or public key-exchange data, never a plaintext. The id
 * is assigned by the server and is the order of a conversation. `pair_key` names the
 * conversation ("<lower id>:<higher id>") so one index serves its history in id order.
 */
export const messages = mysqlTable(
  'messages',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    senderId: bigint('sender_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    recipientId: bigint('recipient_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    pairKey: varchar('pair_key', { length: 41 }).notNull(),
    /** The sender's id for this message, so a resend after a lost ack is stored only once. */
    clientMessageId: varchar('client_message_id', { length: 64 }).notNull(),
    /** The protocol message, JSON text of at most 32 768 ASCII characters (validated first). */
    payload: text('payload').notNull(),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (table) => [
    index('messages_pair_id_idx').on(table.pairKey, table.id),
    index('messages_sender_id_idx').on(table.senderId, table.id),
    index('messages_recipient_id_idx').on(table.recipientId, table.id),
    uniqueIndex('messages_sender_client_id_unique').on(table.senderId, table.clientMessageId),
  ],
);

/**
 * How far each user has read each conversation: the id of the newest message shown to them in
 * a visible conversation, in any of their browsers. Metadata the server already holds (which
 * message ids exist), so unread counts survive reloads and new sign-ins without a plaintext.
 */
export const conversationReads = mysqlTable(
  'conversation_reads',
  {
    userId: bigint('user_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    peerId: bigint('peer_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lastReadId: bigint('last_read_id', { mode: 'number', unsigned: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.peerId] })],
);
