-- Pandoc filter: turn an executed report notebook into a report.
--
-- Used by crmstudy.reports.render with `-f ipynb --ipynb-output=all`, on a
-- notebook whose code inputs were already blanked.  It
--   1. drops the (empty) code inputs, and cells left with nothing to show;
--   2. keeps, for every output, the one representation that reads best in
--      the target format.  Pandoc's own choice ("best") shows text/plain in
--      Typst and never renders text/markdown, which would lose our tables
--      and headings;
--   3. turns an image's `alt` metadata into its alt text and, outside HTML,
--      drops pixel sizes so Typst fits the figure to the page;
--   4. makes heading identifiers unique across cells (the TOC links to them).

local is_html = FORMAT:match("^html") ~= nil

-- lower rank = preferred; kinds missing from a table are never shown
local RANK = is_html
  and { native = 1, html = 1, markdown = 2, image = 3, text = 4 }
  or { native = 1, markdown = 2, image = 3, text = 4 }

local function kind(block)
  if block.t == "RawBlock" then
    if block.format == FORMAT then return "native" end
    if block.format == "html" then return "html" end
    if block.format == "markdown" then return "markdown" end
    return "other"
  end
  if block.t == "Para" and #block.content == 1 and block.content[1].t == "Image" then
    return "image"
  end
  return "text"
end

local function fix_image(img)
  local alt = img.attributes["alt"]
  if alt then
    img.caption = pandoc.Inlines(alt)
    img.attributes["alt"] = nil
  end
  if not is_html then
    img.attributes["width"] = nil
    img.attributes["height"] = nil
  end
  return img
end

local function best_output(div)
  local best, best_rank = nil, math.huge
  for _, block in ipairs(div.content) do
    local r = RANK[kind(block)]
    if r and r < best_rank then best, best_rank = block, r end
  end
  if best == nil then return {} end
  if kind(best) == "markdown" then
    return pandoc.read(best.text, "markdown").blocks
  end
  return pandoc.Blocks({ best }):walk({ Image = fix_image })
end

local function Div(div)
  if div.classes:includes("output") then
    div.content = best_output(div)
    if #div.content == 0 then return {} end
    return div
  end
  if div.classes:includes("cell") and div.classes:includes("code") then
    div.content = div.content:filter(function(b) return b.t ~= "CodeBlock" end)
    if #div.content == 0 then return {} end
    return div
  end
end

local function unique_ids(doc)
  local seen = {}
  return doc:walk({
    Header = function(h)
      if h.identifier == "" then return nil end
      local id, n = h.identifier, 0
      while seen[id] do n = n + 1; id = h.identifier .. "-" .. n end
      seen[id] = true
      h.identifier = id
      return h
    end,
  })
end

return {
  { Div = Div },
  { Pandoc = unique_ids },
}
