import { EggAppConfig, EggAppInfo, PowerPartial } from 'egg';
import * as path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { databaseFromEnv } = require('../database/config');
import { redisClusterFromEnv, redisConfigured, replicasFromEnv, shardedPubsubFromEnv } from '../app/lib/scaleOutConfig';
import { csrfLeftToController } from '../app/lib/adminCsrf';

/** The placeholder secret; production refuses to start while it is in use (see app.ts). */
export const DEFAULT_JWT_SECRET = 'eggchat-dev-secret-change-me';

/**
 * Answers to what Node's HTTP parser refuses before the app runs (see config.onClientError below). Not in
 * app/lib/messages.ts: no route can answer them, so docs/openapi.yaml has no route to document them on.
 */
export const CLIENT_ERROR_MESSAGES = { badRequest: '请求格式错误', headTooLarge: '请求头过大' } as const;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function redisFromEnv(url: string | undefined) {
  // Scale-out (app/lib/scaleOutConfig.ts): a Redis Cluster through egg-redis's `cluster: true` (ioredis Cluster).
  const cluster = redisClusterFromEnv();
  if (cluster) {
    return {
      client: {
        cluster: true,
        nodes: cluster.nodes,
        // REDIS_CLUSTER_NAT_MAP: the nodes' announced addresses → the ones to dial (NAT, a proxy); unset: none.
        ...(cluster.natMap ? { natMap: cluster.natMap } : {}),
        // As below: while the cluster is not ready (a master failing over) a command fails at once (503).
        enableOfflineQueue: false,
        connectTimeout: intFromEnv('REDIS_CONNECT_TIMEOUT_MS', 2000),
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
        slotsRefreshTimeout: 1000,
        redisOptions: {
          password: cluster.password || undefined,
          connectTimeout: intFromEnv('REDIS_CONNECT_TIMEOUT_MS', 2000),
          maxRetriesPerRequest: 1,
          commandTimeout: intFromEnv('REDIS_COMMAND_TIMEOUT_MS', 1000),
        },
      },
    };
  }
  if (!url) return undefined;
  const parsed = new URL(url);
  return {
    client: {
      host: parsed.hostname,
      port: Number(parsed.port || 6379),
      password: decodeURIComponent(parsed.password || ''),
      db: Number(parsed.pathname.replace(/^\//, '') || 0),
      // Fail fast while Redis is down instead of queueing requests forever.
      connectTimeout: intFromEnv('REDIS_CONNECT_TIMEOUT_MS', 2000),
      maxRetriesPerRequest: 1,
      // While Redis is down a command fails at once (503) instead of waiting in a queue.
      enableOfflineQueue: false,
      commandTimeout: intFromEnv('REDIS_COMMAND_TIMEOUT_MS', 1000),
    },
  };
}

export interface ChatConfig {
  timezone: string;
  sessionStore: 'redis' | 'sql';
  /** Read replicas (app/lib/readRouting.ts): the lag past which one is left out, how often it is checked, how long a writer reads the primary. */
  replicas: { maxLagSeconds: number; checkMs: number; writerPrimarySeconds: number };
  /** Prefix of the Redis pub/sub channels (pub/sub ignores the database number). */
  busChannelPrefix: string;
  /** On a Redis Cluster: the per-user channels on SSUBSCRIBE/SPUBLISH (REDIS_SHARDED_PUBSUB, default on). */
  shardedPubsub: boolean;
  autoMigrate: boolean;
  /** Embedded profile: the workers take turns to write the SQLite file, ordered by the agent (app/lib/sqliteWriteTurns). */
  sqliteWriteTurns: boolean;
  /** How far V8's old generation grows past its live data before a full collection (app/lib/heapGrowth.ts); 0: V8's own. */
  heapGrowingPercent: number;
  /** MySQL: a single-chat send's transaction in two round trips, on a multi-statement pool of its own (app/lib/multiStatementPool.ts). */
  batchedSend: boolean;
  tokenTtlSeconds: number;
  singleSession: boolean;
  defaultAvatar: string;
  pageSize: { applyDefault: number; applyMax: number; friendDefault: number; friendMax: number };
  searchLimit: number;
  /** Serialized contact lists kept per worker (app/lib/contactsCache.ts). */
  contactsCache: { maxBytes: number; ttlSeconds: number };
  /** Deadline of one MySQL query (a database that stops answering gets 503, not a hung request). */
  dbQueryTimeoutMs: number;
  /** On SIGTERM, how long a worker waits for its requests in flight before closing (app/lib/gracefulClose.ts). */
  shutdownDrainMs: number;
  /** Swagger UI at /docs and the OpenAPI document at /docs/openapi.yaml (see app/controller/docs.ts). */
  docsEnabled: boolean;
  throttle: Record<'loginFailPerAccount' | 'loginFailPerIp' | 'registerPerIp' | 'applyPerUser' | 'visitorPerDevice' | 'visitorPerIp' | 'sendPerUser', ThrottleRule>;
  /** /ws limits (app/socket/server.ts). */
  socket: { maxPayloadBytes: number; maxSocketsPerWorker: number; maxFramesPer10s: number; heartbeatMs: number; groupCursorFlushMs: number };
  /** sendmessage / revokeMessage (app/service/message.ts). */
  message: { maxDataLength: number; maxOptionsLength: number; revokeWindowSeconds: number };
  /** The visitor routes' `X-Security-Sign` check (app/lib/visitorSign.ts): anti-abuse friction, not authentication. */
  visitor: { signSalt: string; signWindowSeconds: number };
  /** Group routes (app/service/group*.ts). */
  group: GroupConfig;
  /** Uploads, served files and video covers (app/service/media*.ts, app/lib/storage/). */
  media: MediaConfig;
  /** Account care (issue 19): setPassword, the tips on connect, auto-answers. */
  care: CareConfig;
}

export interface CareConfig {
  /** Wrong old passwords one user may give setPassword per window (then 429). */
  passwordFailPerUser: ThrottleRule;
  /** The tips pushed on connect (app/lib/tips.ts): on/off, and the window within which a user gets them once. */
  tips: { enabled: boolean; windowSeconds: number };
  /** Auto-answers (app/service/askanswer.ts): per-owner limits. */
  askanswer: { maxPerOwner: number; maxAskLength: number; maxAnswerLength: number };
}

export interface MediaConfig {
  /** Where uploadStreamSingleToServerDiy stores: 'local' (default) or 's3' (needs s3.bucket). */
  driver: 'local' | 's3';
  /** Local driver: the folder files are written to, and the URL path they are served back under. */
  localDir: string;
  urlPrefix: string;
  /** Partial uploads and ffmpeg inputs (removed as soon as a request ends). */
  tmpDir: string;
  /** Size caps per kind, in bytes, enforced while the upload streams in. */
  maxBytes: { image: number; voice: number; video: number };
  /** Uploads one user may start per minute (rate) and per day (quota); covers count as uploads. */
  perMinute: ThrottleRule;
  perDay: ThrottleRule;
  /** Width of image thumbnails (px). */
  thumbnailWidth: number;
  /** How long a video stays eligible for getVideoScreenshot by its uploader (seconds). */
  coverWindowSeconds: number;
  /** The ffmpeg binary and the deadline of one cover extraction. */
  ffmpegPath: string;
  ffmpegTimeoutMs: number;
  /** S3-compatible object storage (AWS S3, Aliyun OSS, MinIO); unset bucket = not configured. */
  s3: { endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean; publicUrl: string; prefix: string; timeoutMs: number };
}

export interface GroupConfig {
  /** Active members of one group. */
  maxMembers: number;
  /** Groups one user belongs to or waits to join. */
  maxPerUser: number;
  /** Successful invitations and join requests (groupInviteUser) one user may make per day. */
  invitePerUser: ThrottleRule;
  /** grouplist: `?limit=` default and cap. */
  listDefault: number;
  listMax: number;
}

export interface ThrottleRule { limit: number; windowSeconds: number }

/**
 * The salt the course's client ships in its bundle (common/mixins/configData.js `visitorSalt`): the
 * default, so that client works unchanged. It is public by nature; VISITOR_SIGN_SALT changes it for a
 * rebuilt client.
 */
export const DEFAULT_VISITOR_SIGN_SALT = '45ncashdaksh2!#@3nxjdas*_259';

/**
 * CORS for the H5 build (egg-cors): the origins in CORS_ORIGINS (comma-separated, exact
 * `scheme://host[:port]`, or `*` for any). Unset: any origin outside production (a local H5 dev server
 * works at once), none in production.
 */
export function corsOrigins(env: string, raw = process.env.CORS_ORIGINS): ((origin: string) => boolean) {
  if (raw === undefined || raw.trim() === '') return () => env !== 'prod';
  const list = raw.split(',').map(item => item.trim().replace(/\/+$/, '')).filter(Boolean);
  if (list.includes('*')) return () => true;
  const allowed = new Set(list);
  return origin => allowed.has(origin);
}

/** The admin console (issue 20; app/controller/admin/, app/middleware/admin.ts). */
export interface AdminConfig {
  /** ADMIN_ENABLED: off → every /admin path answers 404. */
  enabled: boolean;
  /** ADMIN_ALLOWED_IPS: comma-separated client addresses allowed to reach /admin (empty: any). */
  allowedIps: string[];
  /** A session ends after this long without a request, and after `absoluteSeconds` whatever happens. */
  idleSeconds: number;
  absoluteSeconds: number;
  /** Failed logins per username and per address before a wait (the same throttle service as the chat login). */
  loginFailPerUser: ThrottleRule;
  loginFailPerIp: ThrottleRule;
  /** Rows of one users or audit page. */
  pageSize: number;
}

export default (appInfo: EggAppInfo): PowerPartial<EggAppConfig> & { chat: ChatConfig; admin: AdminConfig } => {
  const config = {} as PowerPartial<EggAppConfig>;

  config.keys = appInfo.name + '_' + (process.env.APP_KEYS || 'eggchat-cookie-keys');

  config.middleware = [];

  // Behind nginx (deploy/nginx.conf) the client address comes from X-Forwarded-For: throttles count per real client.
  config.proxy = process.env.TRUST_PROXY === '1';
  // Only the address the proxy itself appended counts: earlier X-Forwarded-For entries are client-made.
  config.maxIpsCount = 1;

  config.cluster = { listen: { port: intFromEnv('PORT', 7001), hostname: process.env.HOST || '0.0.0.0' } };

  // A JSON API: no CSRF tokens, no HTML error pages.
  config.security = { csrf: { enable: false } };
  config.bodyParser = {
    jsonLimit: process.env.BODY_LIMIT || '1mb',
    formLimit: process.env.BODY_LIMIT || '1mb',
    textLimit: '64kb',
    enableTypes: [ 'json', 'form' ],
    // No route read with GET (or HEAD) takes a body: it is not read, decoded or limited, so such a request
    // is answered as if it had none (never 400/413/415 for a body the route does not need).
    ignore: (ctx: { method: string }) => ctx.method === 'GET' || ctx.method === 'HEAD',
    queryString: { arrayLimit: 20, depth: 3, parameterLimit: 100 },
  };
  config.onerror = {
    accepts: () => 'json',
  };
  // What Node's HTTP parser refuses before the app runs (a URL or headers over 16 KB, a malformed request
  // line) gets the contract's JSON failure too, instead of egg's HTML "400 Bad Request" page.
  (config as any).onClientError = (err: any) => {
    const tooLarge = err?.code === 'HPE_HEADER_OVERFLOW';
    return {
      status: tooLarge ? 431 : 400,
      headers: { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close' },
      body: JSON.stringify({ msg: 'fail', data: tooLarge ? CLIENT_ERROR_MESSAGES.headTooLarge : CLIENT_ERROR_MESSAGES.badRequest }),
    };
  };

  const originAllowed = corsOrigins(appInfo.env);
  (config as any).cors = {
    // The request's own origin when allowed, otherwise no CORS header at all (the browser refuses).
    origin: (ctx: { get(name: string): string }) => {
      const origin = ctx.get('origin');
      return origin && originAllowed(origin) ? origin : '';
    },
    allowMethods: 'GET,POST,OPTIONS',
    allowHeaders: [ 'token', 'content-type', 'authorization', 'x-security-sign' ],
    exposeHeaders: [ 'Retry-After', 'X-Request-Id' ],
    maxAge: 86400,
    credentials: false,
  };

  config.logger = {
    dir: path.join(appInfo.baseDir, 'logs'),
  };
  config.customLogger = {};

  // Read replicas (DATABASE_REPLICA_URLS): Sequelize's own replication; app/lib/readRouting.ts decides per query.
  const replicas = replicasFromEnv();
  config.sequelize = {
    ...databaseFromEnv(),
    ...(replicas.length ? { replication: { read: replicas, write: {} } } : {}),
    // Sequelize retries "SQLITE_BUSY: database is locked" 5 times by default, each after the whole busy
    // timeout: a SQLite file locked by another process held a request for 25 s per statement (75 s with
    // the transaction retries) instead of answering 503. The busy timeout alone is the wait.
    retry: { max: 1 },
    // Column names are snake_case with create_time/update_time, as in the original schema.
    define: {
      freezeTableName: true,
      underscored: false,
      timestamps: true,
      createdAt: 'create_time',
      updatedAt: 'update_time',
      charset: 'utf8mb4',
      collate: 'utf8mb4_unicode_ci',
    },
  } as any;

  config.redis = redisFromEnv(process.env.REDIS_URL) as any;

  config.jwt = {
    secret: process.env.JWT_SECRET || DEFAULT_JWT_SECRET,
    enable: false,
  } as any;

  const chat: ChatConfig = {
    /** Time zone of `create_time` strings in responses. */
    timezone: process.env.DB_TIMEZONE || '+08:00',
    /** Where sessions live: Redis in the production profile, the database otherwise. */
    sessionStore: redisConfigured() ? 'redis' : 'sql',
    // Redis pub/sub channels are server-wide, whatever database REDIS_URL names: deployments (or test runs)
    // sharing a Redis server on different databases must not hear each other's events.
    busChannelPrefix: process.env.REDIS_CHANNEL_PREFIX ?? `eggchat:${(config.redis as any)?.client?.db ?? 0}:`,
    /** Per-user channels on sharded pub/sub (Redis Cluster, REDIS_SHARDED_PUBSUB; app/delivery/redisBus.ts). */
    shardedPubsub: shardedPubsubFromEnv(),
    replicas: {
      maxLagSeconds: intFromEnv('REPLICA_MAX_LAG_SECONDS', 10),
      checkMs: intFromEnv('REPLICA_CHECK_MS', 1000),
      // A writer's reads go to the primary this long after the write: more than any lag a replica in use may have.
      writerPrimarySeconds: intFromEnv('REPLICA_MAX_LAG_SECONDS', 10) + 2,
    },
    /** Apply pending migrations when the server starts (default: embedded profile only). */
    autoMigrate: process.env.DB_AUTO_MIGRATE ? process.env.DB_AUTO_MIGRATE === '1' : !process.env.DATABASE_URL,
    // SQLITE_WRITE_TURNS=0: SQLite's busy timeout alone decides between the workers (an A/B switch).
    sqliteWriteTurns: process.env.SQLITE_WRITE_TURNS !== '0',
    // HEAP_GROWING_PERCENT=0: V8's own factor (up to 4×), which leaves a worker holding its garbage after a burst.
    heapGrowingPercent: intFromEnv('HEAP_GROWING_PERCENT', 20),
    // DB_BATCHED_SEND=0: a send's six statements one round trip each, on Sequelize's pool (an A/B switch; a
    // proxy in front of MySQL that refuses multi-statement queries).
    batchedSend: process.env.DB_BATCHED_SEND !== '0',
    tokenTtlSeconds: intFromEnv('TOKEN_TTL_SECONDS', 30 * 24 * 3600),
    /** One active session per user, as in the original: a new login replaces the previous token. */
    singleSession: process.env.SINGLE_SESSION !== '0',
    defaultAvatar: 'https://thinkphp-all.oss-cn-hangzhou.aliyuncs.com/public/67b3001b2aedd.png',
    pageSize: {
      applyDefault: 10,
      applyMax: intFromEnv('APPLY_PAGE_MAX', 100),
      friendDefault: 2000,
      friendMax: intFromEnv('FRIEND_PAGE_MAX', 5000),
    },
    searchLimit: 50,
    // The TTL only bounds hand edits of a friend's profile in the database; API changes show at once.
    contactsCache: { maxBytes: intFromEnv('CONTACTS_CACHE_MB', 16) * 1024 * 1024, ttlSeconds: intFromEnv('CONTACTS_CACHE_TTL_SECONDS', 60) },
    dbQueryTimeoutMs: intFromEnv('DB_QUERY_TIMEOUT_MS', 2000),
    shutdownDrainMs: intFromEnv('SHUTDOWN_DRAIN_MS', 3000),
    // On by default, off in production (EGG_SERVER_ENV=prod) unless DOCS_ENABLED=1; DOCS_ENABLED=0 turns it off anywhere.
    docsEnabled: process.env.DOCS_ENABLED ? process.env.DOCS_ENABLED === '1' : appInfo.env !== 'prod',
    // Every limit can be raised from the environment (a load test, a campus behind one NAT).
    throttle: {
      loginFailPerAccount: { limit: intFromEnv('LOGIN_FAIL_LIMIT_ACCOUNT', 10), windowSeconds: intFromEnv('LOGIN_FAIL_WINDOW_SECONDS', 900) },
      loginFailPerIp: { limit: intFromEnv('LOGIN_FAIL_LIMIT_IP', 50), windowSeconds: intFromEnv('LOGIN_FAIL_WINDOW_SECONDS', 900) },
      registerPerIp: { limit: intFromEnv('REGISTER_LIMIT_IP', 20), windowSeconds: 3600 },
      applyPerUser: { limit: intFromEnv('APPLY_LIMIT_DAILY', 100), windowSeconds: 86400 },
      // The original's "5 requests per device per hour" over the three visitor routes, and a cap per address.
      visitorPerDevice: { limit: intFromEnv('VISITOR_LIMIT_DEVICE', 5), windowSeconds: 3600 },
      visitorPerIp: { limit: intFromEnv('VISITOR_LIMIT_IP', 60), windowSeconds: 3600 },
      // Messages one sender may send within 10 s.
      sendPerUser: { limit: intFromEnv('SEND_LIMIT_10S', 50), windowSeconds: 10 },
    },
    socket: {
      maxPayloadBytes: intFromEnv('WS_MAX_PAYLOAD_BYTES', 64 * 1024),
      maxSocketsPerWorker: intFromEnv('WS_MAX_SOCKETS_PER_WORKER', 20000),
      maxFramesPer10s: intFromEnv('WS_MAX_FRAMES_10S', 60),
      // The original pings every 30 s; a socket silent for two beats is dropped.
      heartbeatMs: intFromEnv('WS_HEARTBEAT_MS', 30000),
      /** How often confirmed group receipts are written (per online member, not per message). */
      groupCursorFlushMs: intFromEnv('GROUP_CURSOR_FLUSH_MS', 5000),
    },
    message: {
      maxDataLength: intFromEnv('MESSAGE_MAX_LENGTH', 10000),
      maxOptionsLength: intFromEnv('MESSAGE_OPTIONS_MAX_LENGTH', 2000),
      // The original's five minutes.
      revokeWindowSeconds: intFromEnv('REVOKE_WINDOW_SECONDS', 300),
    },
    visitor: {
      signSalt: process.env.VISITOR_SIGN_SALT || DEFAULT_VISITOR_SIGN_SALT,
      // The original's five minutes.
      signWindowSeconds: intFromEnv('VISITOR_SIGN_WINDOW_SECONDS', 300),
    },
    group: {
      maxMembers: intFromEnv('GROUP_MAX_MEMBERS', 500),
      maxPerUser: intFromEnv('GROUP_MAX_PER_USER', 200),
      invitePerUser: { limit: intFromEnv('GROUP_INVITE_LIMIT_DAILY', 200), windowSeconds: 86400 },
      // The original's default page of 30; its client asks for 3.
      listDefault: 30,
      listMax: intFromEnv('GROUP_PAGE_MAX', 100),
    },
    media: {
      driver: process.env.MEDIA_STORAGE === 's3' ? 's3' : 'local',
      localDir: path.resolve(process.env.MEDIA_LOCAL_DIR || path.join(appInfo.baseDir, 'data', 'uploads')),
      // The original's URL shape: /public/uploads/Diy/<dir>/<yyyymmdd>/<name>.
      urlPrefix: '/public/uploads/Diy',
      tmpDir: path.resolve(process.env.MEDIA_TMP_DIR || path.join(process.env.MEDIA_LOCAL_DIR || path.join(appInfo.baseDir, 'data', 'uploads'), '.tmp')),
      maxBytes: {
        image: intFromEnv('MEDIA_MAX_IMAGE_BYTES', 10 * 1024 * 1024),
        voice: intFromEnv('MEDIA_MAX_VOICE_BYTES', 5 * 1024 * 1024),
        video: intFromEnv('MEDIA_MAX_VIDEO_BYTES', 100 * 1024 * 1024),
      },
      perMinute: { limit: intFromEnv('MEDIA_UPLOAD_LIMIT_MINUTE', 30), windowSeconds: 60 },
      perDay: { limit: intFromEnv('MEDIA_UPLOAD_LIMIT_DAILY', 500), windowSeconds: 86400 },
      thumbnailWidth: intFromEnv('MEDIA_THUMBNAIL_WIDTH', 240),
      coverWindowSeconds: intFromEnv('MEDIA_COVER_WINDOW_SECONDS', 86400),
      ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
      ffmpegTimeoutMs: intFromEnv('FFMPEG_TIMEOUT_MS', 15000),
      s3: {
        endpoint: process.env.S3_ENDPOINT || '',
        region: process.env.S3_REGION || 'us-east-1',
        bucket: process.env.S3_BUCKET || '',
        accessKeyId: process.env.S3_ACCESS_KEY_ID || '',
        secretAccessKey: process.env.S3_SECRET_ACCESS_KEY || '',
        // MinIO and most self-hosted servers need path-style URLs; AWS and Aliyun OSS take virtual hosts.
        forcePathStyle: process.env.S3_FORCE_PATH_STYLE === '1',
        publicUrl: (process.env.S3_PUBLIC_URL || '').replace(/\/+$/, ''),
        prefix: 'images',
        timeoutMs: intFromEnv('S3_TIMEOUT_MS', 10000),
      },
    },
    care: {
      passwordFailPerUser: { limit: intFromEnv('SET_PASSWORD_FAIL_LIMIT', 5), windowSeconds: intFromEnv('SET_PASSWORD_FAIL_WINDOW_SECONDS', 900) },
      tips: { enabled: process.env.CONNECT_TIPS !== '0', windowSeconds: intFromEnv('CONNECT_TIPS_WINDOW_SECONDS', 600) },
      askanswer: {
        maxPerOwner: intFromEnv('ASKANSWER_MAX_PER_OWNER', 200),
        maxAskLength: Math.min(intFromEnv('ASKANSWER_MAX_ASK_LENGTH', 200), 200),
        maxAnswerLength: intFromEnv('ASKANSWER_MAX_ANSWER_LENGTH', 2000),
      },
    },
  };

  // Admin console (issue 20). On by default outside production; in production only with ADMIN_ENABLED=1.
  const admin: AdminConfig = {
    enabled: process.env.ADMIN_ENABLED ? process.env.ADMIN_ENABLED === '1' : appInfo.env !== 'prod',
    allowedIps: (process.env.ADMIN_ALLOWED_IPS || '').split(',').map(item => item.trim()).filter(Boolean),
    idleSeconds: intFromEnv('ADMIN_IDLE_SECONDS', 30 * 60),
    absoluteSeconds: intFromEnv('ADMIN_ABSOLUTE_SECONDS', 12 * 3600),
    loginFailPerUser: { limit: intFromEnv('ADMIN_LOGIN_FAIL_LIMIT_USER', 5), windowSeconds: 900 },
    loginFailPerIp: { limit: intFromEnv('ADMIN_LOGIN_FAIL_LIMIT_IP', 20), windowSeconds: 900 },
    pageSize: 50,
  };
  const isAdminPath = (ctx: { path: string }) => ctx.path === '/admin' || ctx.path.startsWith('/admin/');
  // Server-side session of the console only (app/lib/adminSessionStore.ts): the cookie holds an id,
  // is sent to /admin paths only, HttpOnly, SameSite=Strict, Secure with ADMIN_COOKIE_SECURE=1 (HTTPS).
  (config as any).session = {
    // Only the console's paths run the session middleware (its cookie parsing and commit cost every API
    // request about 3 % of its CPU, docs/BENCHMARKS.md): nothing else reads ctx.session.
    match: isAdminPath,
    key: 'EGGCHAT_ADMIN_SID',
    maxAge: admin.idleSeconds * 1000,
    rolling: true,
    httpOnly: true,
    sameSite: 'strict',
    secure: process.env.ADMIN_COOKIE_SECURE === '1',
    path: '/admin',
    signed: true,
  };
  // CSRF tokens on the console's forms and writes only: the chat API is token-based and stays CSRF-free.
  // The secret lives in its own cookie (HttpOnly, /admin, SameSite=Strict), not in the session: a visitor
  // without a session (the login form, a refused request) costs no server-side storage. Rotated at login.
  const csrf = {
    // (Only on a console route: a path no route serves answers the API's 404, as everywhere. A form with
    // a file — the avatar — is checked by its controller on the fields before the file: app/lib/adminCsrf.ts.)
    enable: true,
    match: (ctx: any) => isAdminPath(ctx) && ctx.app.router.match(ctx.path, ctx.method).route && !csrfLeftToController(ctx),
    useSession: false, cookieName: 'EGGCHAT_ADMIN_CSRF',
    cookieOptions: { path: '/admin', httpOnly: true, sameSite: 'strict', signed: true, secure: process.env.ADMIN_COOKIE_SECURE === '1' },
  };
  config.security = { ...config.security, csrf, xframe: { enable: true, value: 'SAMEORIGIN', ignore: isAdminPath } } as any;
  // (The console's own pages answer X-Frame-Options: DENY and frame-ancestors 'none', app/middleware/admin.ts.)
  (config as any).view = { defaultViewEngine: 'nunjucks', mapping: { '.nj': 'nunjucks' }, root: path.join(appInfo.baseDir, 'app/view') };
  (config as any).nunjucks = { autoescape: true };
  // Its middleware only gives the console's templates their gettext helpers (ctx.__ works everywhere).
  (config as any).i18n = { match: isAdminPath, defaultLocale: 'zh-CN', queryField: 'locale', cookieField: 'locale', cookieMaxAge: '1y', localeAlias: { zh: 'zh-CN', en: 'en-US' } };

  return { ...config, chat, admin };
};
