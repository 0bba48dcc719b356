import type { EventTypeInfo } from '../types.ts';

const e = (type: string, objectType: string, description: string): EventTypeInfo => ({ type, canonical: type, description, objectType });

/** Common Shopify webhook topics (the `X-Shopify-Topic` header); every other topic is accepted the same way. */
export const SHOPIFY_EVENTS: readonly EventTypeInfo[] = [
  e('orders/create', 'order', 'An order was created.'),
  e('orders/paid', 'order', "An order's payment was completed."),
  e('orders/updated', 'order', 'An order was updated.'),
  e('orders/cancelled', 'order', 'An order was cancelled.'),
  e('orders/fulfilled', 'order', 'An order was fulfilled.'),
  e('refunds/create', 'refund', 'A refund was created.'),
  e('products/create', 'product', 'A product was created.'),
  e('products/update', 'product', 'A product was updated.'),
  e('products/delete', 'product', 'A product was deleted.'),
  e('customers/create', 'customer', 'A customer was created.'),
  e('customers/update', 'customer', 'A customer was updated.'),
  e('app/uninstalled', 'shop', 'The app was uninstalled from the shop.'),
];
