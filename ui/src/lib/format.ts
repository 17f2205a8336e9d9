const currency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** A price as the catalogue shows it: $56.99. */
export function formatPrice(price: number): string {
  return currency.format(price);
}
