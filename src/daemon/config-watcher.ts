import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` after the config file changed on disk (`daemon.watchConfig` / `--watch`).
 * Watches the directory, not the file: editors save by writing a new file and renaming it over
 * the old one, which ends a watch on the old inode. Debounced, because one save is several events.
 */
export function watchConfigFile(file: string, onChange: () => void, debounceMs = 500): { close(): void } {
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed !== null && changed.toString() !== name) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, debounceMs);
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
      watcher = null;
    },
  };
}
