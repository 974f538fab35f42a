// Opens the Aspire dashboard in Debian's chromium and saves what a person would see:
// the resources page and the trace of one tool call.
// Usage: node screenshots.mjs DASHBOARD_URL TRACE_ID OUTPUT_DIR
import { chromium } from "playwright-core";

const [dashboard, traceId, output] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  // The dashboard is a Blazor app: wait for the network to settle, then for it to render.
  const shoot = async (path, file) => {
    await page.goto(new URL(path, dashboard).toString(), { waitUntil: "networkidle" });
    await page.waitForTimeout(4000);
    await page.screenshot({ path: `${output}/${file}` });
    console.log(`saved ${output}/${file}`);
  };
  await shoot("/", "dashboard-resources.png");
  await shoot(`/traces/detail/${traceId}`, "dashboard-trace.png");
} finally {
  await browser.close();
}
