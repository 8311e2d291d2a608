-- Pandoc filter: turn an executed report notebook into a report.
--
-- Used by crmstudy.reports.render with `-f ipynb --ipynb-output=all`, on a
-- notebook whose code inputs were already blanked.  It
--   1. drops the (blank) code inputs and unwraps every cell;
--   2. keeps, for every output, the one representation that reads best in
--      the target format.  Pandoc's own choice ("best") shows text/plain in
--      Typst and never renders text/markdown, which would lose our tables
--      and headings;
--   3. turns an image's `alt` metadata into its alt text and, outside HTML,
--      drops pixel sizes so Typst fits the figure to the page;
--   4. makes heading identifiers unique across cells (the TOC links to them)
--      and, outside HTML, sets table headers in bold.

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
  if best == nil then return pandoc.Blocks({}) end
  if kind(best) == "markdown" then
    -- A huge line width keeps pipe tables at their natural column widths:
    -- otherwise a wide table gets fixed percentages and its cells overlap
    -- in Typst, which instead scales such a table to the page (report.typ).
    return pandoc.read(best.text, "markdown", { columns = 100000 }).blocks
  end
  return pandoc.Blocks({ best }):walk({ Image = fix_image })
end

-- Cells are unwrapped, so headings from markdown cells and from outputs
-- alike sit at the top level, where pandoc's table of contents finds them
-- (a heading alone in a div would become a section the TOC skips).
local function Div(div)
  if not div.classes:includes("cell") then return nil end
  if not div.classes:includes("code") then return div.content end
  local blocks = pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    if block.t == "Div" and block.classes:includes("output") then
      blocks:extend(best_output(block))
    elseif block.t == "CodeBlock" and block.text:match("%S") then
      blocks:insert(block) -- kept code (teaching notebooks); report inputs arrive blank
    end
  end
  return blocks
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

-- Typst has no reliable way to style a table's header row, so outside
-- HTML the header cells are made bold here.
local function bold_header(tbl)
  if is_html then return nil end
  local function strong(plain) return pandoc.Plain({ pandoc.Strong(plain.content) }) end
  for _, row in ipairs(tbl.head.rows) do
    for _, cell in ipairs(row.cells) do
      cell.contents = cell.contents:walk({ Plain = strong })
    end
  end
  return tbl
end

-- In the PDF a figure and the reading under it share a page: Typst may not break
-- between them (a block that is not breakable moves to the next page whole).
local function keep_figure_with_reading(doc)
  if FORMAT ~= "typst" then return nil end
  local function is_figure(b)
    return b.t == "Figure" or (b.t == "Para" and #b.content == 1 and b.content[1].t == "Image")
  end
  local out, blocks, i = pandoc.Blocks({}), doc.blocks, 1
  while i <= #blocks do
    local b, nxt = blocks[i], blocks[i + 1]
    if is_figure(b) and nxt and nxt.t == "BlockQuote" then
      out:insert(pandoc.RawBlock("typst", "#block(breakable: false)["))
      out:insert(b)
      out:insert(nxt)
      out:insert(pandoc.RawBlock("typst", "]"))
      i = i + 2
    else
      out:insert(b)
      i = i + 1
    end
  end
  doc.blocks = out
  return doc
end

-- In the PDF every table goes through report.typ's crm-table with what belongs
-- with it: the heading and the sentence right before it, the download line right
-- after it.  crm-table sets a table too wide for a portrait page on a landscape
-- page, and those blocks with it, so a heading is never left alone on the page before.
-- Tables that follow one another (nothing between but the next one's heading and
-- sentence) go into one crm-table call, so they share a landscape page.
local function is_table(b)
  if b.t == "Table" then return true end
  if b.t ~= "Figure" then return false end
  local found = false
  b:walk({ Table = function() found = true end })
  return found
end

local function is_download(b)
  if b == nil or b.t ~= "Para" then return false end
  local found = false
  b:walk({ Link = function(l) if l.target:match("%.csv$") or l.target:match("%.xlsx$") then found = true end end })
  return found
end

local function group_tables(doc)
  if FORMAT ~= "typst" then return nil end
  local out, blocks = pandoc.Blocks({}), doc.blocks
  local raw = function(text) return pandoc.RawBlock("typst", text) end
  local i, closed_at = 1, nil -- closed_at: where the last crm-table call ends in out
  while i <= #blocks do
    local b = blocks[i]
    if is_table(b) then
      local before = pandoc.Blocks({})
      local last = out[#out]
      if last and (last.t == "BlockQuote" or last.t == "Para") and #out ~= closed_at then
        before:insert(1, out:remove())
        last = out[#out]
      end
      if last and last.t == "Header" and #out ~= closed_at then before:insert(1, out:remove()) end
      if closed_at ~= nil and #out == closed_at then
        out[#out] = raw("], [") -- the call before goes on with this table
      else
        out:insert(raw("#crm-table(["))
      end
      out:extend(before)
      out:insert(raw("], ["))
      out:insert(b)
      out:insert(raw("], ["))
      if is_download(blocks[i + 1]) then
        out:insert(blocks[i + 1])
        i = i + 1
      end
      out:insert(raw("])"))
      closed_at = #out
    else
      out:insert(b)
    end
    i = i + 1
  end
  doc.blocks = out
  return doc
end

return {
  { Div = Div },
  { Table = bold_header, Pandoc = unique_ids },
  { Pandoc = keep_figure_with_reading },
  { Pandoc = group_tables },
}
