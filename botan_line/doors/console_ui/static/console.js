// botan-line console: send the simulator's forms without reloading, and draw Flex styles.
// No inline scripts or styles (the page's Content-Security-Policy forbids them): styles that
// come with Flex JSON are read from data- attributes, checked, and set through the DOM.
"use strict";

const COLOR = /^#[0-9a-fA-F]{3,8}$/;
const SIZE = /^\d{1,4}(\.\d+)?(px|%)$/;

function applyFlex(root) {
  root.querySelectorAll("[data-bg],[data-color],[data-width],[data-height],[data-flex]").forEach((el) => {
    const d = el.dataset;
    if (d.bg && COLOR.test(d.bg)) el.style.backgroundColor = d.bg;
    if (d.color && COLOR.test(d.color)) el.style.color = d.color;
    if (d.width && SIZE.test(d.width)) el.style.width = d.width;
    if (d.height && SIZE.test(d.height)) el.style.height = d.height;
    if (d.flex && /^\d{1,2}$/.test(d.flex)) el.style.flex = d.flex + " 1 0";
  });
  root.querySelectorAll("img.icon").forEach((img) => {
    const hide = () => { img.hidden = true; };  // unreachable icon: the initial shows instead
    if (img.complete && img.naturalWidth === 0) hide();
    img.addEventListener("error", hide, { once: true });
  });
}

function scrollDown() {
  const box = document.getElementById("scroll");
  if (box) box.scrollTop = box.scrollHeight;
}

async function sendForm(form, submitter) {
  const body = new FormData(form);
  if (submitter && submitter.name) body.append(submitter.name, submitter.value);
  const buttons = document.querySelectorAll("form[data-async] button");
  buttons.forEach((b) => { b.disabled = true; });
  document.body.classList.add("busy");
  try {
    const answer = await fetch(form.action, { method: "POST", body, headers: { "X-Console-Fetch": "1" } });
    const html = await answer.text();
    if (!answer.ok) throw new Error(`${answer.status}`);
    const transcript = document.getElementById("transcript");
    const holder = document.createElement("div");
    holder.innerHTML = html;  // rendered and escaped by the server's templates
    const fresh = holder.querySelector("#transcript");
    transcript.replaceWith(fresh);
    applyFlex(fresh);
    if (form.id === "composer") form.elements.text.value = "";
    scrollDown();
  } catch (err) {
    const note = document.createElement("p");
    note.className = "error";
    note.textContent = `not sent (${err.message}): the console may have stopped; reload the page`;
    document.getElementById("transcript").append(note);  // never resent: it may have been decided
    scrollDown();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    document.body.classList.remove("busy");
    const text = document.getElementById("text");
    if (text) text.focus();
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-async]") || !document.getElementById("transcript")) return;
  event.preventDefault();
  sendForm(form, event.submitter);
});

applyFlex(document);
scrollDown();
