using System.Globalization;
using Npgsql;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// Start-up step after the migrations: gives <c>reflections</c> its <c>embedding vector(N)</c> column and
/// HNSW cosine index for the configured dimension, or refuses to start when the column already holds
/// another dimension, so vectors of different models are never compared.
/// </summary>
public sealed partial class EmbeddingColumn(NpgsqlDataSource dataSource, EmbeddingSettings settings, ILogger<EmbeddingColumn> logger) : IHostedService
{
    // Serialises replicas that start at once (transaction-scoped, released at commit).
    private const long SchemaLockKey = 0x5E55_10B0_E3BE;

    private const string ReadDimensionSql =
        """
        SELECT a.atttypmod FROM pg_attribute a
        WHERE a.attrelid = 'reflections'::regclass AND a.attname = 'embedding' AND NOT a.attisdropped
        """;

    public async Task StartAsync(CancellationToken cancellationToken) => await EnsureAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", SchemaLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        int? existing;
        await using (var read = new NpgsqlCommand(ReadDimensionSql, connection, transaction))
        {
            existing = await read.ExecuteScalarAsync(cancellationToken) is int typmod ? typmod : null;
        }

        if (existing is { } stored && stored != settings.Dimensions)
        {
            throw new InvalidOperationException(
                $"memorydb stores {stored}-dimensional embeddings but Memory:EmbeddingDimensions is {settings.Dimensions} " +
                $"({settings.Provider}/{settings.Model}). Set Memory:EmbeddingDimensions={stored} or re-embed the reflections.");
        }

        if (existing is null)
        {
            // DDL takes no parameters; the dimension is a validated positive integer, not user text.
            var dimension = settings.Dimensions.ToString(CultureInfo.InvariantCulture);
            await using var create = new NpgsqlCommand(
                $"""
                ALTER TABLE reflections ADD COLUMN embedding vector({dimension});
                CREATE INDEX reflections_embedding_hnsw ON reflections USING hnsw (embedding vector_cosine_ops);
                """, connection, transaction);
            await create.ExecuteNonQueryAsync(cancellationToken);
            LogCreated(settings.Dimensions);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    [LoggerMessage(LogLevel.Information, "Created reflections.embedding vector({Dimensions}) with an HNSW cosine index")]
    private partial void LogCreated(int dimensions);
}
