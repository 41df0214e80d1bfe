// Shows /viewer/?file=<a PDF of this app> page by page with PDF.js, for window engines without a PDF viewer of
// their own. Only the app's own PDFs (same origin, under /pdf/) are opened; the server's refusal is shown as is.
import * as pdfjs from "./pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = new URL("./pdfjs/pdf.worker.min.mjs", import.meta.url).href;

const WORDS = {
  fr: { loading: "Chargement du PDF…", refused: "Ce document ne peut pas être affiché ici.", failed: "Le PDF n'a pas pu être affiché : " },
  en: { loading: "Loading the PDF…", refused: "This document cannot be shown here.", failed: "The PDF could not be shown: " },
};
const params = new URLSearchParams(location.search);
const words = WORDS[params.get("lang")] || WORDS.fr;
const status = document.getElementById("status");
const pages = document.getElementById("pages");

function ownPdf(value) {
  try {
    const url = new URL(value, location.origin);
    return url.origin === location.origin && url.pathname.startsWith("/pdf/") ? url : null;
  } catch {
    return null;
  }
}

async function showPage(pdf, number, width) {
  const page = await pdf.getPage(number);
  const viewport = page.getViewport({ scale: width / page.getViewport({ scale: 1 }).width });
  const ratio = window.devicePixelRatio || 1;
  const box = document.createElement("div");
  box.className = "page";
  box.dataset.page = String(number);
  box.style.setProperty("--scale-factor", String(viewport.scale));
  const canvas = document.createElement("canvas");
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${Math.floor(viewport.width)}px`;
  canvas.style.height = `${Math.floor(viewport.height)}px`;
  const text = document.createElement("div");
  text.className = "textLayer";
  box.append(canvas, text);
  pages.append(box);
  const transform = ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0];
  await page.render({ canvasContext: canvas.getContext("2d"), viewport, transform }).promise;
  await new pdfjs.TextLayer({ textContentSource: page.streamTextContent(), container: text, viewport }).render();
}

async function show() {
  const url = ownPdf(params.get("file") || "");
  if (url === null) {
    status.textContent = words.refused;
    return;
  }
  status.textContent = words.loading;
  const response = await fetch(url);
  if (!response.ok) {
    status.textContent = await response.text();
    return;
  }
  const pdf = await pdfjs.getDocument({ data: new Uint8Array(await response.arrayBuffer()) }).promise;
  const width = Math.min(pages.clientWidth - 24, 1100);
  for (let number = 1; number <= pdf.numPages; number += 1) {
    await showPage(pdf, number, width);
  }
  status.textContent = "";
  document.body.dataset.shown = String(pdf.numPages);
}

show().catch((error) => {
  status.textContent = words.failed + error.message;
});
