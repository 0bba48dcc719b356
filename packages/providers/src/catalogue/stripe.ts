import type { EventTypeInfo } from '../types.ts';

const e = (type: string, objectType: string, description: string): EventTypeInfo => ({ type, canonical: type, description, objectType });

/** A selection of Stripe's most used event types; Stripe sends hundreds, and every one is accepted. */
export const STRIPE_EVENTS: readonly EventTypeInfo[] = [
  e('checkout.session.completed', 'checkout.session', 'A Checkout Session has been successfully completed.'),
  e('checkout.session.expired', 'checkout.session', 'A Checkout Session has expired.'),
  e('payment_intent.succeeded', 'payment_intent', 'A PaymentIntent has successfully completed payment.'),
  e('payment_intent.payment_failed', 'payment_intent', 'A PaymentIntent has failed the attempt to create a payment method or a payment.'),
  e('charge.succeeded', 'charge', 'A charge has succeeded.'),
  e('charge.refunded', 'charge', 'A charge has been refunded, fully or in part.'),
  e('charge.dispute.created', 'dispute', 'A customer has disputed a charge with their bank.'),
  e('customer.created', 'customer', 'A new customer has been created.'),
  e('customer.subscription.created', 'subscription', 'A customer has been signed up for a new plan.'),
  e('customer.subscription.updated', 'subscription', 'A subscription has changed (plan, status, renewal…).'),
  e('customer.subscription.deleted', 'subscription', "A customer's subscription has ended."),
  e('invoice.paid', 'invoice', 'An invoice has been paid.'),
  e('invoice.payment_failed', 'invoice', 'An invoice payment attempt has failed.'),
];
