#!/usr/bin/env node
// Writes VyaparBazaar's raw data: deterministic (seeded), at any scale.
//   node scripts/generate-data.mjs --out DIR [--scale N] [--data-out DIR]
// Seeds (CSV): raw_customers, raw_sellers, raw_products, raw_orders, raw_order_items, raw_payments, raw_campaigns.
// File sources: web_sessions.csv, shipments.parquet, inventory_snapshots.parquet, ad_spend.parquet.
// Every file goes into --out DIR (required: it writes nowhere else), unless --data-out says where the file sources
// go. The example project's committed data is exactly scale 1: `--out seeds --data-out data/raw` rewrites it.
// Larger scales feed benchmarks.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const fail = (message) => {
  console.error(`generate-data: ${message}`);
  process.exit(2);
};
const scale = Number(opt('scale', '1'));
if (!(scale > 0)) fail('--scale must be a positive number');
const out = opt('out', undefined);
if (!out) fail('--out DIR is required: the data is written there and nowhere else (--out seeds --data-out data/raw rewrites the committed scale-1 data)');
const dataOut = opt('data-out', out);

/** mulberry32: a small, fast, seeded PRNG, with the draws the generator uses. */
function prng(seed) {
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
  return { rand, int, pick, weighted };
}
// The first five seeds and the sessions draw from one stream (their data is as it always was); the tables added
// later draw from a second one, so adding them changed none of the first.
const { rand, int, pick, weighted } = prng(20240101);

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
const nSellers = Math.max(5, Math.round(40 * scale));

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
    seller_id: int(1, nSellers),
    updated_at: ts(YEAR_START + int(0, 364) * 86400000),
  });
}

const orders = [];
const orderedAtMs = [];
const items = [];
const payments = [];
let itemId = 1;
for (let id = 1; id <= nOrders; id++) {
  const customer = customers[int(0, nCustomers - 1)];
  const orderedAt = YEAR_START + Math.floor(rand() * YEAR_MS);
  const status = weighted([['delivered', 70], ['shipped', 10], ['placed', 6], ['cancelled', 8], ['returned', 6]]);
  const updatedAt = orderedAt + int(1, 10 * 24) * 3600000;
  orderedAtMs.push(orderedAt);
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

// ---- The second stream: sellers, campaigns and ad spend, shipments, inventory snapshots. ----
const g = prng(20240202);
const DAY_MS = 86400000;
const addDays = (date, n) => day(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS);

const SELLER_KINDS = ['Traders', 'Emporium', 'Stores', 'Retail', 'Bazaar', 'Mart', 'Enterprises', 'Handlooms'];
const sellers = [];
for (let id = 1; id <= nSellers; id++) {
  const [city, state] = g.pick(CITIES);
  const joined = YEAR_START - g.int(30, 900) * DAY_MS;
  sellers.push({
    seller_id: id,
    seller_name: `${g.pick(BRANDS)} ${g.pick(SELLER_KINDS)} ${id}`,
    contact_email: `seller${id}.${city.toLowerCase()}@sellers.example.in`,
    city,
    state,
    joined_date: day(joined),
    commission_rate: (g.int(10, 30) * 0.005).toFixed(3), // 5% to 15% of the line's net amount
    updated_at: ts(joined + g.int(0, 300) * DAY_MS),
  });
}

// Campaigns run one after another on each paid channel, through 2024; ad spend is one row per campaign and day.
const campaigns = [];
const adSpend = [];
const THEMES = ['Republic Day Sale', 'Holi Colours', 'Summer Deals', 'Monsoon Sale', 'Independence Day Offers', 'Raksha Bandhan', 'Onam Specials', 'Navratri Fest', 'Diwali Dhamaka', 'Wedding Season', 'Year End Clearance', 'Back to School'];
for (const channel of ['paid_search', 'social', 'email']) {
  let start = day(YEAR_START + g.int(0, 10) * DAY_MS);
  while (start < '2024-12-31') {
    const end = [addDays(start, g.int(20, 45)), '2024-12-31'].sort()[0];
    const id = campaigns.length + 1;
    campaigns.push({
      campaign_id: id,
      campaign_name: `${g.pick(THEMES)} (${channel.replace('_', ' ')} ${id})`,
      channel,
      start_date: start,
      end_date: end,
      budget_paise: Math.round((g.int(50, 400) * 100000 * scale) / 100) * 100,
      updated_at: ts(Date.parse(`${start}T00:00:00Z`) - g.int(1, 14) * DAY_MS),
    });
    for (let d = start; d <= end; d = addDays(d, 1)) {
      const impressions = Math.round(g.int(1500, 9000) * scale * (channel === 'email' ? 0.4 : 1));
      const clicks = Math.round(impressions * (0.005 + g.rand() * 0.03));
      const cpc = channel === 'paid_search' ? g.int(400, 1500) : channel === 'social' ? g.int(200, 900) : g.int(20, 80);
      adSpend.push({ spend_date: d, campaign_id: id, impressions, clicks, spend_paise: clicks * cpc });
    }
    start = addDays(end, g.int(1, 12));
  }
}

// One shipment per order that left the warehouse; delivered and returned orders have arrived.
const CARRIERS = [['Delhivery', 35], ['Blue Dart', 20], ['Ecom Express', 15], ['Xpressbees', 15], ['India Post', 15]];
const shipments = [];
orders.forEach((o, i) => {
  if (!['shipped', 'delivered', 'returned'].includes(o.status)) return;
  const shippedAt = orderedAtMs[i] + g.int(4, 48) * 3600000;
  const carrier = g.weighted(CARRIERS);
  const transitDays = g.int(1, carrier === 'India Post' ? 10 : 7);
  shipments.push({
    shipment_id: shipments.length + 1,
    order_id: o.order_id,
    carrier,
    shipped_at: ts(shippedAt),
    promised_date: day(orderedAtMs[i] + 5 * DAY_MS),
    delivered_at: o.status === 'shipped' ? null : ts(shippedAt + transitDays * DAY_MS + g.int(0, 43199) * 1000),
    shipping_cost_paise: g.int(40, 160) * 100,
  });
});

// Stock counted every Sunday at the end of the day: sales of the week (orders not cancelled) take units away, a
// restock arrives when stock falls under the reorder point (not always: suppliers are late), and a week that
// sells more than is on hand gets an urgent delivery of what was missing, so the counts, the orders and the
// receipts they imply always agree (stock never goes under zero).
const sold = new Map(); // product_id -> Map(order date -> units)
const orderById = new Map(orders.map((o, i) => [o.order_id, { status: o.status, date: day(orderedAtMs[i]) }]));
for (const item of items) {
  const o = orderById.get(item.order_id);
  if (o.status === 'cancelled') continue;
  const byDay = sold.get(item.product_id) ?? new Map();
  byDay.set(o.date, (byDay.get(o.date) ?? 0) + item.quantity);
  sold.set(item.product_id, byDay);
}
const WAREHOUSES = ['BLR1', 'DEL1', 'BOM1', 'HYD1'];
const inventory = [];
for (const p of products) {
  const warehouse = g.pick(WAREHOUSES);
  const byDay = sold.get(p.product_id) ?? new Map();
  let onHand = g.int(5, 40);
  let date = '2023-12-31';
  inventory.push({ snapshot_date: date, product_id: p.product_id, warehouse_id: warehouse, units_on_hand: onHand });
  while (addDays(date, 7) <= '2024-12-31') {
    let units = 0;
    for (let d = 1; d <= 7; d++) units += byDay.get(addDays(date, d)) ?? 0;
    date = addDays(date, 7);
    const restock = onHand - units < 3 && g.rand() < 0.5 ? g.int(8, 30) : 0;
    const urgent = Math.max(0, units - onHand - restock);
    onHand = onHand + restock + urgent - units;
    inventory.push({ snapshot_date: date, product_id: p.product_id, warehouse_id: warehouse, units_on_hand: onHand });
  }
}

mkdirSync(out, { recursive: true });
mkdirSync(dataOut, { recursive: true });
writeFileSync(join(out, 'raw_customers.csv'), csv(customers, ['customer_id', 'first_name', 'last_name', 'email', 'city', 'state', 'signup_date', 'updated_at']));
writeFileSync(join(out, 'raw_sellers.csv'), csv(sellers, ['seller_id', 'seller_name', 'contact_email', 'city', 'state', 'joined_date', 'commission_rate', 'updated_at']));
writeFileSync(join(out, 'raw_products.csv'), csv(products, ['product_id', 'product_name', 'category', 'price_paise', 'seller_id', 'updated_at']));
writeFileSync(join(out, 'raw_orders.csv'), csv(orders, ['order_id', 'customer_id', 'ordered_at', 'status', 'updated_at']));
writeFileSync(join(out, 'raw_order_items.csv'), csv(items, ['order_item_id', 'order_id', 'product_id', 'quantity', 'unit_price_paise', 'discount_paise']));
writeFileSync(join(out, 'raw_payments.csv'), csv(payments, ['payment_id', 'order_id', 'method', 'amount_paise', 'paid_at']));
writeFileSync(join(out, 'raw_campaigns.csv'), csv(campaigns, ['campaign_id', 'campaign_name', 'channel', 'start_date', 'end_date', 'budget_paise', 'updated_at']));
writeFileSync(join(dataOut, 'web_sessions.csv'), csv(sessions, ['session_id', 'customer_id', 'started_at', 'device', 'channel', 'converted']));

/** Writes rows as Parquet with these DuckDB column types (through a CSV in a temporary folder). */
async function parquet(file, rows, types) {
  const temp = mkdtempSync(join(tmpdir(), 'vyapar-gen-'));
  try {
    const names = Object.keys(types);
    writeFileSync(join(temp, 'rows.csv'), csv(rows, names));
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const db = await instance.connect();
    const columns = names.map((n) => `'${n}': '${types[n]}'`).join(', ');
    const target = resolve(file).replaceAll("'", "''");
    await db.run(`copy (select * from read_csv('${join(temp, 'rows.csv').replaceAll("'", "''")}', header = true, columns = {${columns}})) to '${target}' (format parquet, compression zstd)`);
    db.closeSync();
    instance.closeSync();
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
await parquet(join(dataOut, 'shipments.parquet'), shipments, { shipment_id: 'integer', order_id: 'integer', carrier: 'varchar', shipped_at: 'timestamp', promised_date: 'date', delivered_at: 'timestamp', shipping_cost_paise: 'bigint' });
await parquet(join(dataOut, 'inventory_snapshots.parquet'), inventory, { snapshot_date: 'date', product_id: 'integer', warehouse_id: 'varchar', units_on_hand: 'integer' });
await parquet(join(dataOut, 'ad_spend.parquet'), adSpend, { spend_date: 'date', campaign_id: 'integer', impressions: 'integer', clicks: 'integer', spend_paise: 'bigint' });

console.log(
  `scale ${scale}: ${customers.length} customers, ${sellers.length} sellers, ${products.length} products, ${orders.length} orders, ` +
    `${items.length} order items, ${payments.length} payments, ${shipments.length} shipments, ${inventory.length} inventory snapshots, ` +
    `${campaigns.length} campaigns, ${adSpend.length} ad spend days, ${sessions.length} web sessions`,
);
