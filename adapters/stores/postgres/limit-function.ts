/**
 * The PL/pgSQL port of `applyLimitCheck` (src/limits/sliding-window.ts), line for line: the
 * conformance kit holds both to the same answers. One call is one statement and one round trip;
 * the row lock (`FOR UPDATE`) makes concurrent checks of one subject run one at a time.
 * @module
 */

/** `CREATE OR REPLACE FUNCTION` of the check over `table` (both already quoted identifiers). */
export function consumeFunction(fn: string, table: string): string {
  return `CREATE OR REPLACE FUNCTION ${fn}(p_subject text, p_check jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $body$
DECLARE
  v_now bigint := (p_check->>'now')::bigint;
  v_cost bigint := (p_check->>'cost')::bigint;
  v_state jsonb;
  v_expires bigint;
  v_limit jsonb;
  v_window bigint; v_size bigint; v_max bigint; v_id text;
  v_usage jsonb; v_used bigint; v_b jsonb; v_left bigint; v_wait bigint;
  v_rate_denied boolean := false; v_never boolean := false; v_rate_wait bigint := 0;
  v_windows jsonb := '[]'; v_lifetime bigint := 1000;
  v_cfg jsonb := p_check->'credits'; v_refill jsonb; v_f text; v_cb bigint; v_ct bigint;
  v_credit_short boolean := false; v_allowed boolean;
  v_next_w jsonb := '{}'; v_rate jsonb := '[]'; v_outcome jsonb; v_w jsonb; v_last jsonb;
  v_reset bigint; i int;
BEGIN
  SELECT state, expires_at INTO v_state, v_expires FROM ${table} WHERE subject = p_subject FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO ${table} (subject, state, expires_at) VALUES (p_subject, '{}', 0)
      ON CONFLICT (subject) DO NOTHING;
    SELECT state, expires_at INTO v_state, v_expires FROM ${table} WHERE subject = p_subject FOR UPDATE;
  END IF;
  IF v_expires IS NOT NULL AND v_expires <= v_now THEN v_state := '{}'; END IF;

  FOR v_limit IN SELECT value FROM jsonb_array_elements(p_check->'rate') WITH ORDINALITY ORDER BY ordinality LOOP
    v_window := (v_limit->>'windowMs')::bigint;
    v_max := (v_limit->>'limit')::bigint;
    v_size := (v_window + 19) / 20;
    v_id := (v_limit->>'name') || ':' || v_window::text;
    v_usage := '[]'; v_used := 0;
    FOR v_b IN SELECT value FROM jsonb_array_elements(COALESCE(v_state->'w'->v_id, '[]')) WITH ORDINALITY ORDER BY ordinality LOOP
      IF ((v_b->>0)::bigint + 1) * v_size > v_now - v_window THEN
        v_usage := v_usage || jsonb_build_array(v_b);
        v_used := v_used + (v_b->>1)::bigint;
      END IF;
    END LOOP;
    v_windows := v_windows || jsonb_build_array(jsonb_build_object(
      'id', v_id, 'limit', v_limit, 'size', v_size, 'usage', v_usage, 'used', v_used));
    v_lifetime := GREATEST(v_lifetime, v_window + v_size);
    IF v_used + v_cost > v_max THEN
      v_rate_denied := true;
      v_wait := NULL;
      IF v_cost <= v_max THEN
        v_left := v_used;
        FOR v_b IN SELECT value FROM jsonb_array_elements(v_usage) WITH ORDINALITY ORDER BY ordinality LOOP
          v_left := v_left - (v_b->>1)::bigint;
          IF v_left + v_cost <= v_max THEN
            v_wait := ((v_b->>0)::bigint + 1) * v_size + v_window - v_now;
            EXIT;
          END IF;
        END LOOP;
      END IF;
      IF v_wait IS NULL THEN v_never := true; ELSE v_rate_wait := GREATEST(v_rate_wait, v_wait); END IF;
    END IF;
  END LOOP;

  IF v_cfg IS NOT NULL THEN
    v_refill := v_cfg->'refill';
    v_f := (v_cfg->>'remaining') || ':' || COALESCE(v_refill->>'amount', '') || ':' || COALESCE(v_refill->>'intervalMs', '');
    IF v_state->'c'->>'f' = v_f THEN
      v_cb := (v_state->'c'->>'b')::bigint; v_ct := (v_state->'c'->>'t')::bigint;
    ELSE
      v_cb := (v_cfg->>'remaining')::bigint; v_ct := v_now;
    END IF;
    IF v_refill IS NOT NULL AND v_now >= v_ct + (v_refill->>'intervalMs')::bigint THEN
      v_ct := v_ct + ((v_now - v_ct) / (v_refill->>'intervalMs')::bigint) * (v_refill->>'intervalMs')::bigint;
      v_cb := GREATEST(v_cb, (v_refill->>'amount')::bigint);
    END IF;
    v_credit_short := v_cb < v_cost;
  END IF;

  v_allowed := NOT v_rate_denied AND NOT v_credit_short;
  FOR i IN 0 .. jsonb_array_length(v_windows) - 1 LOOP
    v_w := v_windows->i;
    v_usage := v_w->'usage'; v_used := (v_w->>'used')::bigint; v_size := (v_w->>'size')::bigint;
    v_window := (v_w->'limit'->>'windowMs')::bigint; v_max := (v_w->'limit'->>'limit')::bigint;
    IF v_allowed THEN
      v_last := v_usage -> -1;
      IF v_last IS NOT NULL AND (v_last->>0)::bigint = v_now / v_size THEN
        v_usage := jsonb_set(v_usage, ARRAY[(jsonb_array_length(v_usage) - 1)::text, '1'],
          to_jsonb((v_last->>1)::bigint + v_cost));
      ELSE
        v_usage := v_usage || jsonb_build_array(jsonb_build_array(v_now / v_size, v_cost));
      END IF;
      v_used := v_used + v_cost;
    END IF;
    IF jsonb_array_length(v_usage) > 0 THEN
      v_next_w := v_next_w || jsonb_build_object(v_w->>'id', v_usage);
    END IF;
    v_last := v_usage -> -1;
    v_reset := CASE WHEN v_last IS NULL THEN 0 ELSE ((v_last->>0)::bigint + 1) * v_size + v_window - v_now END;
    v_rate := v_rate || jsonb_build_array(jsonb_build_object('name', v_w->'limit'->>'name',
      'limit', v_max, 'windowMs', v_window, 'remaining', GREATEST(0, v_max - v_used), 'resetMs', v_reset));
  END LOOP;

  IF v_cfg IS NOT NULL THEN
    IF v_allowed THEN v_cb := v_cb - v_cost; END IF;
    UPDATE ${table} SET expires_at = NULL, state = jsonb_build_object('w', v_next_w,
      'c', jsonb_build_object('b', v_cb, 't', v_ct, 'f', v_f)) WHERE subject = p_subject;
  ELSE
    UPDATE ${table} SET expires_at = v_now + v_lifetime, state = jsonb_build_object('w', v_next_w)
      WHERE subject = p_subject;
  END IF;

  v_outcome := jsonb_build_object('allowed', v_allowed, 'rate', v_rate);
  IF v_cfg IS NOT NULL THEN
    IF v_refill IS NOT NULL THEN
      v_outcome := v_outcome || jsonb_build_object('credits', jsonb_build_object('remaining', v_cb,
        'resetMs', v_ct + (v_refill->>'intervalMs')::bigint - v_now));
    ELSE
      v_outcome := v_outcome || jsonb_build_object('credits', jsonb_build_object('remaining', v_cb));
    END IF;
  END IF;
  IF NOT v_allowed THEN
    IF v_credit_short THEN
      v_outcome := v_outcome || jsonb_build_object('deniedBy', 'credits');
      IF v_refill IS NOT NULL THEN
        v_outcome := v_outcome || jsonb_build_object('retryAfterMs', v_ct + (v_refill->>'intervalMs')::bigint - v_now);
      END IF;
    ELSE
      v_outcome := v_outcome || jsonb_build_object('deniedBy', 'rate');
      IF NOT v_never THEN v_outcome := v_outcome || jsonb_build_object('retryAfterMs', v_rate_wait); END IF;
    END IF;
  END IF;
  RETURN v_outcome;
END
$body$`
}
