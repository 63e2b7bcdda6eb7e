import { Controller } from 'egg';
import { uuidRules } from '../lib/validation/uuid';

export default class ProfileController extends Controller {
  /** GET /api/userinfo/:uuid — a user's public card; needs no token (the client opens it for anyone). */
  async userinfo() {
    const { ctx } = this;
    const { uuid } = ctx.validateInput(uuidRules, ctx.params);
    ctx.ok(await ctx.service.profile.publicProfile(uuid.toLowerCase()));
  }
}
