#!/usr/bin/env node
// Writes VyaparBazaar's raw data as CSV: deterministic (seeded), at any scale.
//   node scripts/generate-data.mjs [--scale N] [--out DIR] [--data-out DIR]
// With no --out: the seeds go to seeds/ and web_sessions.csv to data/raw/ (the example project's committed
// data at scale 1). With --out DIR every file goes into DIR, unless --data-out says where web_sessions.csv goes.
// Larger scales feed benchmarks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const scale = Number(opt('scale', '1'));
const out = opt('out', 'seeds');
const dataOut = opt('data-out', args.includes('--out') ? out : 'data/raw');
if (!(scale > 0)) throw new Error('--scale must be a positive number');

// mulberry32: a small, fast, seeded PRNG
let seed = 20240101;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const weighted = (pairs) => {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of pairs) if ((r -= w) < 0) return v;
  return pairs[pairs.length - 1][0];
};

const FIRST = ['Aarav', 'Vivaan', 'Aditya', 'Vihaan', 'Arjun', 'Sai', 'Reyansh', 'Krishna', 'Ishaan', 'Rohan', 'Ananya', 'Diya', 'Saanvi', 'Aadhya', 'Pari', 'Meera', 'Kavya', 'Isha', 'Riya', 'Nisha', 'Priya', 'Lakshmi', 'Farhan', 'Zoya', 'Gurpreet', 'Harpreet', 'Joseph', 'Mary', 'Tenzin', 'Lalremruati'];
const LAST = ['Sharma', 'Verma', 'Iyer', 'Nair', 'Reddy', 'Patel', 'Shah', 'Gupta', 'Singh', 'Kaur', 'Das', 'Banerjee', 'Mukherjee', 'Rao', 'Menon', 'Pillai', 'Khan', 'Qureshi', 'Fernandes', 'DSouza', 'Joshi', 'Kulkarni', 'Deshpande', 'Chatterjee', 'Bhat'];
const CITIES = [
  ['Mumbai', 'Maharashtra'], ['Pune', 'Maharashtra'], ['Delhi', 'Delhi'], ['Bengaluru', 'Karnataka'], ['Mysuru', 'Karnataka'],
  ['Chennai', 'Tamil Nadu'], ['Coimbatore', 'Tamil Nadu'], ['Hyderabad', 'Telangana'], ['Kolkata', 'West Bengal'], ['Ahmedabad', 'Gujarat'],
  ['Surat', 'Gujarat'], ['Jaipur', 'Rajasthan'], ['Lucknow', 'Uttar Pradesh'], ['Kochi', 'Kerala'], ['Chandigarh', 'Chandigarh'],
  ['Bhopal', 'Madhya Pradesh'], ['Patna', 'Bihar'], ['Guwahati', 'Assam'], ['Bhubaneswar', 'Odisha'], ['Indore', 'Madhya Pradesh'],
];
const CATEGORIES = {
  electronics: [['Smartphone', 99900, 2999900], ['Earbuds', 99900, 1499900], ['Power Bank', 69900, 299900], ['Smartwatch', 149900, 2499900]],
  fashion: [['Kurta', 49900, 349900], ['Saree', 79900, 1299900], ['Sneakers', 99900, 699900], ['Dupatta', 29900, 149900]],
  home_kitchen: [['Pressure Cooker', 119900, 449900], ['Tawa', 39900, 149900], ['Mixer Grinder', 249900, 899900], ['Steel Tiffin', 29900, 99900]],
  grocery: [['Basmati Rice 5kg', 49900, 129900], ['Masala Chai 500g', 19900, 59900], ['Cold Pressed Oil 1L', 24900, 69900], ['Dry Fruits 1kg', 69900, 249900]],
  books: [['Novel', 19900, 69900], ['Exam Guide', 29900, 99900], ['Comics', 9900, 39900]],
  beauty: [['Ayurvedic Face Wash', 14900, 49900], ['Kajal', 9900, 34900], ['Hair Oil', 12900, 44900]],
};
const BRANDS = ['Vyapar', 'Desi', 'Bharat', 'Ganga', 'Himalaya', 'Sahyadri', 'Kaveri', 'Nilgiri', 'Thar', 'Konark'];

const YEAR_START = Date.UTC(2024, 0, 1);
const YEAR_MS = Date.UTC(2025, 0, 1) - YEAR_START;
const ts = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const csv = (rows, header) => [header.join(','), ...rows.map((r) => header.map((h) => field(r[h])).join(','))].join('\n') + '\n';
const field = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));

const nCustomers = Math.round(500 * scale);
const nProducts = Math.round(120 * scale);
const nOrders = Math.round(3000 * scale);
const nSessions = Math.round(5000 * scale);

const customers = [];
for (let id = 1; id <= nCustomers; id++) {
  const [city, state] = pick(CITIES);
  const first = pick(FIRST);
  const last = pick(LAST);
  const signup = YEAR_START - int(0, 400) * 86400000 + int(0, 86399) * 1000;
  customers.push({
    customer_id: id,
    first_name: first,
    last_name: last,
    email: `${first}.${last}${id}@example.in`.toLowerCase(),
    city,
    state,
    signup_date: day(signup),
    updated_at: ts(signup + int(0, 200) * 86400000),
  });
}

const products = [];
const categoryNames = Object.keys(CATEGORIES);
for (let id = 1; id <= nProducts; id++) {
  const category = pick(categoryNames);
  const [kind, lo, hi] = pick(CATEGORIES[category]);
  products.push({
    product_id: id,
    product_name: `${pick(BRANDS)} ${kind}`,
    category,
    price_paise: Math.round(int(lo, hi) / 100) * 100,
    seller_id: int(1, Math.max(5, Math.round(40 * scale))),
    updated_at: ts(YEAR_START + int(0, 364) * 86400000),
  });
}

const orders = [];
const items = [];
const payments = [];
let itemId = 1;
for (let id = 1; id <= nOrders; id++) {
  const customer = customers[int(0, nCustomers - 1)];
  const orderedAt = YEAR_START + Math.floor(rand() * YEAR_MS);
  const status = weighted([['delivered', 70], ['shipped', 10], ['placed', 6], ['cancelled', 8], ['returned', 6]]);
  const updatedAt = orderedAt + int(1, 10 * 24) * 3600000;
  orders.push({ order_id: id, customer_id: customer.customer_id, ordered_at: ts(orderedAt), status, updated_at: ts(Math.min(updatedAt, YEAR_START + YEAR_MS - 1000)) });
  let net = 0;
  const lines = weighted([[1, 45], [2, 30], [3, 15], [4, 7], [5, 3]]);
  for (let l = 0; l < lines; l++) {
    const product = products[int(0, nProducts - 1)];
    const quantity = weighted([[1, 75], [2, 18], [3, 5], [5, 2]]);
    const gross = quantity * product.price_paise;
    const discount = rand() < 0.3 ? Math.round((gross * int(5, 25)) / 100 / 100) * 100 : 0;
    items.push({ order_item_id: itemId++, order_id: id, product_id: product.product_id, quantity, unit_price_paise: product.price_paise, discount_paise: discount });
    net += gross - discount;
  }
  if (status !== 'cancelled') {
    payments.push({
      payment_id: payments.length + 1,
      order_id: id,
      method: weighted([['upi', 55], ['card', 18], ['cod', 12], ['netbanking', 8], ['wallet', 7]]),
      amount_paise: net,
      paid_at: ts(orderedAt + int(0, 1800) * 1000),
    });
  }
}

const sessions = [];
for (let id = 1; id <= nSessions; id++) {
  const anonymous = rand() < 0.35;
  sessions.push({
    session_id: `s${String(id).padStart(7, '0')}`,
    customer_id: anonymous ? null : int(1, nCustomers),
    started_at: ts(YEAR_START + Math.floor(rand() * YEAR_MS)),
    device: weighted([['mobile', 72], ['desktop', 22], ['tablet', 6]]),
    channel: weighted([['organic', 35], ['paid_search', 20], ['social', 20], ['email', 10], ['direct', 15]]),
    converted: !anonymous && rand() < 0.12,
  });
}

mkdirSync(out, { recursive: true });
mkdirSync(dataOut, { recursive: true });
writeFileSync(join(out, 'raw_customers.csv'), csv(customers, ['customer_id', 'first_name', 'last_name', 'email', 'city', 'state', 'signup_date', 'updated_at']));
writeFileSync(join(out, 'raw_products.csv'), csv(products, ['product_id', 'product_name', 'category', 'price_paise', 'seller_id', 'updated_at']));
writeFileSync(join(out, 'raw_orders.csv'), csv(orders, ['order_id', 'customer_id', 'ordered_at', 'status', 'updated_at']));
writeFileSync(join(out, 'raw_order_items.csv'), csv(items, ['order_item_id', 'order_id', 'product_id', 'quantity', 'unit_price_paise', 'discount_paise']));
writeFileSync(join(out, 'raw_payments.csv'), csv(payments, ['payment_id', 'order_id', 'method', 'amount_paise', 'paid_at']));
writeFileSync(join(dataOut, 'web_sessions.csv'), csv(sessions, ['session_id', 'customer_id', 'started_at', 'device', 'channel', 'converted']));
console.log(`scale ${scale}: ${customers.length} customers, ${products.length} products, ${orders.length} orders, ${items.length} order items, ${payments.length} payments, ${sessions.length} web sessions`);
