import 'egg';
import { KeyValueStore } from '../app/lib/store/KeyValueStore';

declare module 'egg' {
  interface Application {
    validator: {
      validate(rules: object, data: object): Array<{ message: string; field: string; code: string }> | undefined;
      addRule(type: string, check: (rule: any, value: unknown) => string | undefined): void;
    };
    kvStore: KeyValueStore;
  }
}
