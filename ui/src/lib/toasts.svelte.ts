// Short notices at the corner of the page: a saved album with a link to it, a delete with its
// Undo. They leave by themselves; one with a button stays while the pointer or focus is on it.

export type ToastTone = 'success' | 'info' | 'error';

export interface Toast {
  id: number;
  text: string;
  tone: ToastTone;
  /** A link to what the notice is about (`onclick` handles it without leaving the page). */
  link?: { href: string; label: string; onclick?: () => void } | undefined;
  /** One button, such as Undo. */
  action?: { label: string; run: () => void } | undefined;
}

export class Toaster {
  items = $state<Toast[]>([]);
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  #next = 1;

  /** Shows a notice for `ms` milliseconds (0: until dismissed); returns its id. */
  show(toast: Omit<Toast, 'id'>, ms = 6000): number {
    const id = this.#next++;
    this.items = [...this.items, { ...toast, id }];
    if (ms > 0)
      this.#timers.set(
        id,
        setTimeout(() => this.dismiss(id), ms),
      );
    return id;
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }
}
