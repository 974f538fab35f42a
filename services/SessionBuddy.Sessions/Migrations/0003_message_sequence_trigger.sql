-- A message's sequence number is the next of its session's message_count, given by the database as the row is
-- inserted: the messages store writes only messages, and the sessions row (locked until the transaction ends, so a
-- session's messages stay strictly ordered) is counted here. A message of an unknown session is not inserted.
CREATE FUNCTION next_message_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sessions SET message_count = message_count + 1, updated_at = now()
    WHERE id = NEW.session_id
    RETURNING message_count INTO NEW.sequence;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER messages_next_sequence BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION next_message_sequence();
