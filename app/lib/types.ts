/** Attribute shapes of the four tables (see database/migrations). */
export interface UserAttributes {
  id: number;
  uuid: string;
  username: string;
  password: string;
  nickname: string;
  avatar: string;
  mobile: string | null;
  email: string | null;
  status: number;
  last_login: Date | null;
  last_login_ip: string | null;
  register_time: Date | null;
  register_ip: string | null;
  is_deleted: number;
  wechat_openid: string | null;
  qq_openid: string | null;
  weibo_uid: string | null;
  role: string;
  is_email_verified: number;
  is_mobile_verified: number;
  /** A visitor's device id (null for accounts not bound to a device). */
  devicefingeruuid: string | null;
  uniplatform: string | null;
  devicemodel: string | null;
  deviceos: string | null;
  devicebrand: string | null;
  /** The user's settings as a JSON string (see app/lib/userSettings.ts); null until saved. */
  userset: string | null;
  /** 1: adding me as a friend needs my approval; 0: anyone may add me at once (autoAddFriendAndAgree). */
  invite_confirm: number;
  order: number;
  create_time: Date | string;
  update_time: Date;
}

export interface UserinfoAttributes {
  id: number;
  user_id: number;
  gender: 'male' | 'female' | 'unknown';
  birthday: string | null;
  bio: string | null;
  location: string | null;
  website: string | null;
  order: number;
  create_time: Date | string;
  update_time: Date;
}

/** Columns that goodfriend and goodfriendapply share: who, whom, a remark and the relation flags. */
export interface RelationAttributes {
  id: number;
  user_id: number;
  friend_id: number;
  nickname: string;
  friendlookme: number;
  melookfriend: number;
  ismystarfriend: number;
  isblack: number;
}

export interface GoodfriendAttributes extends RelationAttributes {
  status: number;
  order: number;
  create_time: Date | string;
  update_time: Date;
}

export type ApplyStatus = 'pending' | 'refuse' | 'agree' | 'ignore';
export const APPLY_STATUSES: readonly ApplyStatus[] = [ 'pending', 'refuse', 'agree', 'ignore' ];

export interface GoodfriendapplyAttributes extends RelationAttributes {
  status: ApplyStatus;
  order: number;
  create_time: Date | string;
  update_time: Date;
}
