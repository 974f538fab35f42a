using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Contracts;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Scheduling;

namespace SessionBuddy.Messaging.Data;

/// <summary>
/// Writes integration events into <c>outbox_messages</c> inside the caller's transaction, so an
/// event exists exactly when the change it describes was committed. Call <see cref="NotifyCommitted"/>
/// after the commit to dispatch at once instead of at the next poll.
/// </summary>
public sealed class Outbox(OutboxSignal signal)
{
    internal static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The <c>outbox_messages</c> and <c>inbox_messages</c> tables (Migrations/0000_outbox_inbox.sql), for
    /// <see cref="DatabaseMigrator"/>. Recorded as <c>SessionBuddy.ServiceDefaults/0000_outbox_inbox</c>, the version
    /// they were applied under when ServiceDefaults held the outbox: existing databases find them applied.
    /// </summary>
    public static SharedMigrations Migrations { get; } = new(typeof(Outbox).Assembly, VersionOwner: "SessionBuddy.ServiceDefaults");

    public async Task EnqueueAsync<TEvent>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, TEvent integrationEvent, CancellationToken cancellationToken)
        where TEvent : class
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO outbox_messages (id, message_type, payload) VALUES (@outbox_id, @outbox_type, @outbox_payload)", connection, transaction);
        AddRowParameters(command.Parameters, integrationEvent);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Several events of one type in one round trip (e.g. one per row of a batch insert).</summary>
    public async Task EnqueueManyAsync<TEvent>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken)
        where TEvent : class
    {
        if (integrationEvents.Count == 0)
        {
            return;
        }
        await using var command = new NpgsqlCommand(
            "INSERT INTO outbox_messages (id, message_type, payload) SELECT unnest(@ids), @type, unnest(@payloads::jsonb[])", connection, transaction);
        command.Parameters.AddWithValue("ids", integrationEvents.Select(_ => Guid.CreateVersion7()).ToArray());
        command.Parameters.AddWithValue("type", typeof(TEvent).FullName!);
        command.Parameters.AddWithValue("payloads", integrationEvents.Select(e => JsonSerializer.Serialize(e, SerializerOptions)).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The parameters of one outbox row, for a statement that writes the event together with the change
    /// (one round trip): <c>INSERT INTO outbox_messages (id, message_type, payload) SELECT @outbox_id,
    /// @outbox_type, @outbox_payload FROM ...</c>, so the row exists exactly when the change does.
    /// </summary>
    public static void AddRowParameters<TEvent>(NpgsqlParameterCollection parameters, TEvent integrationEvent)
        where TEvent : class
    {
        parameters.AddWithValue("outbox_id", Guid.CreateVersion7());
        parameters.AddWithValue("outbox_type", typeof(TEvent).FullName!);
        parameters.AddWithValue("outbox_payload", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(integrationEvent, SerializerOptions));
    }

    public void NotifyCommitted() => signal.Notify();

    /// <summary>Event types are resolved only from the Contracts assembly: the outbox publishes contracts, nothing else.</summary>
    internal static Type? ResolveType(string messageType) => typeof(RequestRejected).Assembly.GetType(messageType);
}

/// <summary>Wakes the dispatcher in this process; other replicas find the rows on their next poll.</summary>
public sealed class OutboxSignal : WakeSignal;
