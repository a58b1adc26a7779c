/* Search result snippets: mathematics as readable text instead of LaTeX source.
   Sphinx builds each snippet from the page's text, where inline maths is still "\(h_t\)". */
(function () {
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", Delta: "Δ", epsilon: "ε", eta: "η",
    theta: "θ", lambda: "λ", mu: "μ", sigma: "σ", Sigma: "Σ", tau: "τ", phi: "φ", odot: "⊙",
    cdot: "·", times: "×", partial: "∂", sum: "Σ", prod: "Π", approx: "≈", le: "≤", leq: "≤",
    ge: "≥", geq: "≥", ne: "≠", neq: "≠", in: "∈", to: "→", rightarrow: "→", infty: "∞",
    tanh: "tanh", log: "log", exp: "exp", ldots: "…", dots: "…", cdots: "…",
  };

  function plainMath(tex) {
    return tex
      .replace(/^\\\(|\\\)$|^\\\[|\\\]$|^\$\$?|\$\$?$/g, "")
      .replace(/\\(?:mathbf|mathrm|operatorname|text|boldsymbol|tilde|hat|bar)\s*\{([^{}]*)\}/g, "$1")
      .replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)")
      .replace(/\\([A-Za-z]+)/g, (whole, name) => SYMBOLS[name] ?? name)
      .replace(/\\[,;:! ]/g, " ")
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }

  function patch() {
    if (!window.Search || Search.htmlToText.mathPatched) return;
    const original = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll("div.math").forEach((el) => el.remove());
      doc.querySelectorAll("span.math").forEach((el) => { el.textContent = plainMath(el.textContent); });
      return original(doc.documentElement.outerHTML, anchor);
    };
    Search.htmlToText.mathPatched = true;
  }

  patch();
  document.addEventListener("DOMContentLoaded", patch);
})();
