using System.Globalization;
using Npgsql;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// Start-up step after the migrations: gives <c>reflections</c> its <c>embedding vector(N)</c> column and
/// HNSW cosine index for the configured dimension, or refuses to start when the column already holds
/// another dimension, so vectors of different models are never compared. Also keeps the
/// <c>reflections_exact_scan</c> index that exact semantic search over a selective filter reads (created
/// when absent, so an existing database gets it at its next start). Registers the configured model in
/// <c>embedding_models</c>, attributes vectors stored before models were recorded, and opens a
/// re-embedding job when reflections lack a vector of the configured model (the model changed).
/// </summary>
public sealed partial class EmbeddingColumn(
    NpgsqlDataSource dataSource, EmbeddingSettings settings, ILogger<EmbeddingColumn> logger, MemoryOptions options) : IHostedService
{
    // Serialises replicas that start at once (transaction-scoped, released at commit).
    private const long SchemaLockKey = 0x5E55_10B0_E3BE;

    private const string ReadDimensionSql =
        """
        SELECT a.atttypmod FROM pg_attribute a
        WHERE a.attrelid = 'reflections'::regclass AND a.attname = 'embedding' AND NOT a.attisdropped
        """;

    // A btree entry holds at most 2,704 bytes. Beside the vector (4 bytes a dimension + 8) it carries the
    // id (16), project (up to 200 characters, 804 bytes in UTF-8), category (up to 64 ASCII) and headers,
    // so vectors up to 400 dimensions are covered; longer ones are read from the row.
    private const int MaxCoveredDimensions = 400;

    private const string RegisterModelsSql =
        """
        WITH unattributed AS (
            SELECT 1 FROM reflections WHERE embedding IS NOT NULL AND embedding_model IS NULL LIMIT 1
        )
        INSERT INTO embedding_models (name, dimensions)
        SELECT @model, @dimensions UNION SELECT @legacy, @dimensions FROM unattributed
        ON CONFLICT (name) DO NOTHING
        """;

    private const string AttributeLegacySql =
        """
        UPDATE reflections SET embedding_model = (SELECT id FROM embedding_models WHERE name = @legacy)
        WHERE embedding IS NOT NULL AND embedding_model IS NULL
        """;

    private const string ReadIndexOptionsSql =
        "SELECT c.reloptions FROM pg_class c WHERE c.oid = to_regclass('reflections_embedding_hnsw')";

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

        // DDL takes no parameters; the dimension and graph settings are validated positive integers, not user text.
        if (existing is null)
        {
            var dimension = settings.Dimensions.ToString(CultureInfo.InvariantCulture);
            await using var create = new NpgsqlCommand($"ALTER TABLE reflections ADD COLUMN embedding vector({dimension})", connection, transaction);
            await create.ExecuteNonQueryAsync(cancellationToken);
            LogCreated(settings.Dimensions);
        }

        // The HNSW index with the configured graph settings: created when absent, rebuilt when an existing
        // database's index was built with other ones (a long step on a large corpus, once).
        string[] wanted =
        [
            $"m={options.HnswM.ToString(CultureInfo.InvariantCulture)}",
            $"ef_construction={options.HnswEfConstruction.ToString(CultureInfo.InvariantCulture)}",
        ];
        string[]? current;
        await using (var readIndex = new NpgsqlCommand(ReadIndexOptionsSql, connection, transaction))
        {
            await using var reader = await readIndex.ExecuteReaderAsync(cancellationToken);
            current = await reader.ReadAsync(cancellationToken) ? (reader.IsDBNull(0) ? [] : reader.GetFieldValue<string[]>(0)) : null;
        }
        // An index built without options (before these settings existed) has pgvector's defaults.
        if (current is not null)
        {
            current = [.. current, .. new[] { "m=16", "ef_construction=64" }.Where(d => !current.Any(c => c.StartsWith(d[..(d.IndexOf('=') + 1)], StringComparison.Ordinal)))];
        }
        if (current is null || !current.Order(StringComparer.Ordinal).SequenceEqual(wanted.Order(StringComparer.Ordinal)))
        {
            await using var index = new NpgsqlCommand(
                $"""
                DROP INDEX IF EXISTS reflections_embedding_hnsw;
                CREATE INDEX reflections_embedding_hnsw ON reflections USING hnsw (embedding vector_cosine_ops) WITH ({string.Join(", ", wanted)});
                """, connection, transaction);
            await index.ExecuteNonQueryAsync(cancellationToken);
            LogIndexBuilt(string.Join(", ", wanted), current is null ? "none" : string.Join(", ", current));
        }

        // Exact search over a project (and category): the matching rows' ids and vectors side by side in
        // one index range, read index-only instead of fetching wide reflection rows one page each.
        var covered = settings.Dimensions <= MaxCoveredDimensions ? "id, embedding" : "id";
        await using (var exactScan = new NpgsqlCommand(
            $"CREATE INDEX IF NOT EXISTS reflections_exact_scan ON reflections (project, category) INCLUDE (embedding_model, {covered})", connection, transaction))
        {
            await exactScan.ExecuteNonQueryAsync(cancellationToken);
        }

        // Vectors from before models were recorded came from the configured Ollama model or, without
        // Ollama, from the hashed embedder (the built-in one until all-MiniLM-L6-v2).
        var legacy = settings.Provider == EmbeddingSettings.Ollama ? settings.Key : $"{EmbeddingSettings.Hashed}/{LocalEmbedder.ModelId}";
        await using (var models = new NpgsqlCommand(RegisterModelsSql, connection, transaction))
        {
            models.Parameters.AddWithValue("model", settings.Key);
            models.Parameters.AddWithValue("legacy", legacy);
            models.Parameters.AddWithValue("dimensions", settings.Dimensions);
            await models.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var attribute = new NpgsqlCommand(AttributeLegacySql, connection, transaction))
        {
            attribute.Parameters.AddWithValue("legacy", legacy);
            if (await attribute.ExecuteNonQueryAsync(cancellationToken) is var attributed and > 0)
            {
                LogAttributed(attributed, legacy);
            }
        }
        if (options.ReembedOnModelChange)
        {
            await using var open = new NpgsqlCommand(Reembedding.OpenSql, connection, transaction);
            open.Parameters.AddWithValue("id", Guid.CreateVersion7());
            open.Parameters.AddWithValue("model", settings.Key);
            if (await open.ExecuteNonQueryAsync(cancellationToken) > 0)
            {
                LogReembeddingOpened(settings.Key);
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    [LoggerMessage(LogLevel.Information, "{Count} vectors stored before models were recorded are attributed to {Model}")]
    private partial void LogAttributed(int count, string model);

    [LoggerMessage(LogLevel.Warning, "Reflections lack vectors of {Model}: a re-embedding job is open (reembed_memories reports its progress); until it ends they are found by keyword only")]
    private partial void LogReembeddingOpened(string model);

    [LoggerMessage(LogLevel.Information, "Created reflections.embedding vector({Dimensions})")]
    private partial void LogCreated(int dimensions);

    [LoggerMessage(LogLevel.Information, "Built the HNSW cosine index on reflections.embedding with {Wanted} (was: {Previous})")]
    private partial void LogIndexBuilt(string wanted, string previous);
}
