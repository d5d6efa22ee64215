-- wrk script: one operation of Okta's request mix per run.
--
--   wrk -t1 -c16 -d5s -s bench/okta.lua URL -- OP DATAFILE MAX_REQUESTS TAG STYLE
--
-- DATAFILE has one line per line kind, tab separated:
--   token <bearer token>      base <path prefix, e.g. /scim/v2>
--   user <id> <userName>      extra <id> <userName>   (people outside the groups)
--   group <id>                push <id>
-- Every request is built here from a counter, so a run is reproducible and bounded:
-- a thread stops after MAX_REQUESTS responses (wrk's -d bounds the time).

local op, max_requests, tag, style
local token, base
local users, names, extras, group_id, push_id = {}, {}, {}, nil, nil
local counter, responses, shown = 0, 0, 0
local push_bodies = {}

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function load(path)
  for line in io.lines(path) do
    local kind, a, b = line:match("^(%S+)\t([^\t]*)\t?(.*)$")
    if kind == "token" then token = a
    elseif kind == "base" then base = a
    elseif kind == "user" then users[#users + 1] = a; names[#names + 1] = b
    elseif kind == "extra" then extras[#extras + 1] = a
    elseif kind == "group" then group_id = a
    elseif kind == "push" then push_id = a
    end
  end
end

local function members_json(first, count)
  local parts = {}
  for i = first, first + count - 1 do
    parts[#parts + 1] = '{"value":"' .. users[i] .. '"}'
  end
  return "[" .. table.concat(parts, ",") .. "]"
end

function init(args)
  op, max_requests, tag, style = args[1], tonumber(args[3]), args[4], args[5] or "okta"
  math.randomseed(7)
  load(args[2])
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/scim+json"
  wrk.headers["Accept"] = "application/scim+json"
  if op == "push" then
    local half = math.min(1000, #users - 10)
    for k = 0, 1 do
      push_bodies[k] = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
        .. '"Operations":[{"op":"replace","path":"members","value":'
        .. members_json(1 + 10 * k, half) .. "}]}"
    end
  end
end

local PATCH = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":'

local function user_body(user_name, id, n, password)
  local pw = password and ',"password":"1mz050nq"' or ""
  local idpart = id and ('"id":"' .. id .. '",') or ""
  return '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],' .. idpart
    .. '"userName":"' .. user_name .. '",'
    .. '"name":{"givenName":"Given' .. n .. '","familyName":"Bench"},'
    .. '"emails":[{"primary":true,"value":"' .. user_name .. '","type":"work"}],'
    .. '"displayName":"Given' .. n .. ' Bench","locale":"en-US",'
    .. '"externalId":"00u' .. tag .. n .. '","groups":[]' .. pw .. ',"active":true}'
end

function request()
  counter = counter + 1
  local k = counter
  local n = #users
  if op == "get" then
    return wrk.format("GET", base .. "/Users/" .. users[math.random(n)])
  elseif op == "lookup" then
    local name = names[math.random(n)]
    return wrk.format("GET", base .. "/Users?filter=" .. urlencode('userName eq "' .. name .. '"')
      .. "&startIndex=1&count=100")
  elseif op == "import" then
    local pages = math.max(1, math.floor(n / 100))
    return wrk.format("GET", base .. "/Users?startIndex=" .. (1 + 100 * math.random(0, pages - 1))
      .. "&count=100")
  elseif op == "create" or op == "create_nopw" then
    local user_name = "new." .. tag .. "." .. k .. "@bench.example"
    return wrk.format("POST", base .. "/Users", nil, user_body(user_name, nil, k, op == "create"))
  elseif op == "put" then
    local i = math.random(n)
    return wrk.format("PUT", base .. "/Users/" .. users[i], nil, user_body(names[i], users[i], k, false))
  elseif op == "deactivate" then
    -- Walk the people in order; the first pass deactivates, the next reactivates.
    local i = (k - 1) % n + 1
    local active = (math.floor((k - 1) / n) % 2 == 1) and "true" or "false"
    return wrk.format("PATCH", base .. "/Users/" .. users[i], nil,
      PATCH .. '[{"op":"replace","value":{"active":' .. active .. "}}]}")
  elseif op == "group_create" then
    return wrk.format("POST", base .. "/Groups", nil,
      '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team '
      .. tag .. " " .. k .. '","members":[]}')
  elseif op == "member" then
    -- Alternate: add extra person j (first pass), then remove them (second pass).
    local m = #extras
    local j = (k - 1) % m + 1
    local who = extras[j]
    local adding = math.floor((k - 1) / m) % 2 == 0
    local body
    if style == "entra" then
      body = PATCH .. '[{"op":"' .. (adding and "add" or "remove")
        .. '","path":"members","value":[{"value":"' .. who .. '"}]}]}'
    elseif adding then
      -- Okta sends its rename with every membership update.
      body = PATCH .. '[{"op":"replace","value":{"id":"' .. group_id
        .. '","displayName":"Big group"}},{"op":"add","path":"members","value":[{"value":"'
        .. who .. '"}]}]}'
    else
      body = PATCH .. '[{"op":"remove","path":"members[value eq \\"' .. who .. '\\"]"}]}'
    end
    return wrk.format("PATCH", base .. "/Groups/" .. group_id, nil, body)
  elseif op == "push" then
    return wrk.format("PATCH", base .. "/Groups/" .. push_id, nil, push_bodies[k % 2])
  end
  error("unknown op " .. tostring(op))
end

function response(status, headers, body)
  responses = responses + 1
  -- Errors are counted in summary.errors.status; the first few are shown.
  if status >= 400 and shown < 3 then
    shown = shown + 1
    io.stderr:write("HTTP " .. status .. " " .. string.sub(body or "", 1, 300) .. "\n")
  end
  if max_requests and responses >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,'
      .. '"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
