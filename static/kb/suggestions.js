/* Article suggestions while a customer writes (portal request form, chat pre-form):
 * one list of links that open the article in a new tab, each with its snippet.
 * Everything is set as text: a snippet from the search API (escaped text with <mark>
 * around matched words) is rebuilt from text nodes and <mark> elements alone, so no
 * markup of an article ever reaches the page. */
(function () {
  "use strict";

  function appendMarked(parent, escaped) {
    var decoder = document.createElement("textarea");
    escaped.split(/(<\/?mark>)/).reduce(function (marked, piece) {
      if (piece === "<mark>") return true;
      if (piece === "</mark>") return false;
      decoder.innerHTML = piece; // a textarea's content is text: entities decode, tags stay text
      var node = marked ? document.createElement("mark") : document.createTextNode(decoder.value);
      if (marked) node.textContent = decoder.value;
      parent.appendChild(node);
      return marked;
    }, false);
  }

  // options.marked: snippets come from the search API; options.snippetClass: their class.
  window.helpdeskRenderSuggestions = function (list, results, options) {
    options = options || {};
    list.textContent = "";
    results.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = item.title;
      link.dataset.article = item.id;
      var snippet = document.createElement("p");
      if (options.snippetClass) snippet.className = options.snippetClass;
      if (options.marked) appendMarked(snippet, item.snippet);
      else snippet.textContent = item.snippet;
      li.appendChild(link);
      li.appendChild(snippet);
      list.appendChild(li);
    });
  };
})();
