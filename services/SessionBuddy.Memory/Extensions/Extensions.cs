using MassTransit;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.Memory.Extensions;

public static class Extensions
{
    public const string DatabaseName = "memorydb";

    // pgvector's HNSW index accepts at most 2,000 dimensions.
    private const int MaxIndexedDimensions = 2_000;

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.Services.AddReflections(builder.Configuration);
        builder.Services.AddSingleton<KnowledgeGraphStore>();
        // Registered after the migrator and before the bus: the column exists before any consumer runs.
        builder.Services.AddHostedService<EmbeddingColumn>();
        builder.Services.AddHostedService<Optimization.ScheduledOptimization>();
        builder.AddServiceBus(ServiceNames.Memory, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }

    /// <summary>
    /// Reflection storage and search on the registered <c>NpgsqlDataSource</c>, with Ollama embeddings when
    /// <c>ConnectionStrings:ollama</c> is set and the built-in embedder otherwise.
    /// </summary>
    public static IServiceCollection AddReflections(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(MemoryOptions.SectionName).Get<MemoryOptions>() ?? new MemoryOptions();
        var ollama = configuration.GetConnectionString(OllamaConnection.ConnectionName) is { Length: > 0 } connectionString
            ? OllamaConnection.Parse(connectionString)
            : null;

        var dimensions = options.EmbeddingDimensions ?? (ollama is null ? 384 : 768);
        if (dimensions is < 1 or > MaxIndexedDimensions)
        {
            throw new InvalidOperationException($"Memory:EmbeddingDimensions must be between 1 and {MaxIndexedDimensions}, got {dimensions}.");
        }
        // pgvector's limits: m 2-100, ef_construction 4-1000 and at least 2 × m.
        if (options.HnswM is < 2 or > 100 || options.HnswEfConstruction < 2 * options.HnswM || options.HnswEfConstruction > 1000)
        {
            throw new InvalidOperationException(
                $"Memory:HnswM must be 2-100 and Memory:HnswEfConstruction 2 × HnswM to 1000, got {options.HnswM} and {options.HnswEfConstruction}.");
        }
        if (options.KeywordCandidatePostings < 0 || options.KeywordRescoredCandidates < 1)
        {
            throw new InvalidOperationException(
                $"Memory:KeywordCandidatePostings must be 0 (exact) or more and Memory:KeywordRescoredCandidates at least 1, got {options.KeywordCandidatePostings} and {options.KeywordRescoredCandidates}.");
        }
        options.EmbeddingDimensions = dimensions;
        options.SemanticWeight ??= ollama is null ? 0.0 : 1.0;
        services.AddSingleton(options);
        // Stores write their integration events to the outbox (AddServiceDatabase dispatches them; these are no-ops then).
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<Outbox>();

        if (ollama is null)
        {
            services.AddSingleton(new EmbeddingSettings("local", LocalEmbedder.ModelId, dimensions));
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new LocalEmbedder(dimensions));
        }
        else
        {
            services.AddSingleton(ollama);
            services.AddSingleton(new EmbeddingSettings("ollama", ollama.Model, dimensions));
            services.AddHttpClient<OllamaEmbedder>(http => http.Timeout = TimeSpan.FromSeconds(30));
            services.AddTransient<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<OllamaEmbedder>());
        }

        services.AddTransient<ReflectionEmbedder>();
        services.AddSingleton<ReflectionStore>();
        services.AddSingleton(sp => new Bm25Ranking(
            sp.GetRequiredService<NpgsqlDataSource>(),
            approximation: new Bm25Approximation(options.KeywordCandidatePostings, options.KeywordRescoredCandidates)));
        services.AddSingleton<VectorRanking>();
        services.AddTransient<ReflectionSearch>();
        services.AddMemories(configuration);
        return services;
    }
}
