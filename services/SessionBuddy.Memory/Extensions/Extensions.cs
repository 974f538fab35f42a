using MassTransit;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Optimization;
using SessionBuddy.Memory.Patterns;
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
        builder.Services.AddHostedService<ReembeddingWorker>();
        builder.Services.AddHostedService<EmbedderPreload>();
        builder.Services.AddHostedService<ScheduledOptimization>();
        builder.AddServiceBus(ServiceNames.Memory, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }

    /// <summary>
    /// Reflection storage and search on the registered <c>NpgsqlDataSource</c>, with Ollama embeddings when
    /// <c>ConnectionStrings:ollama</c> is set and otherwise the built-in all-MiniLM-L6-v2 (or, with
    /// <c>Memory:Embedder=hashed</c>, the model-free hashing embedder).
    /// </summary>
    public static IServiceCollection AddReflections(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(MemoryOptions.SectionName).Get<MemoryOptions>() ?? new MemoryOptions();
        var ollama = configuration.GetConnectionString(OllamaConnection.ConnectionName) is { Length: > 0 } connectionString
            ? OllamaConnection.Parse(connectionString)
            : null;

        var embedder = ollama is not null ? EmbeddingSettings.Ollama : options.Embedder.Trim().ToLowerInvariant();
        if (embedder is not (EmbeddingSettings.BuiltIn or EmbeddingSettings.Hashed or EmbeddingSettings.Ollama))
        {
            throw new InvalidOperationException($"Memory:Embedder must be {EmbeddingSettings.BuiltIn} or {EmbeddingSettings.Hashed}, got '{options.Embedder}'.");
        }
        var dimensions = options.EmbeddingDimensions ?? (embedder == EmbeddingSettings.Ollama ? 768 : MiniLmModel.Dimensions);
        if (dimensions is < 1 or > MaxIndexedDimensions)
        {
            throw new InvalidOperationException($"Memory:EmbeddingDimensions must be between 1 and {MaxIndexedDimensions}, got {dimensions}.");
        }
        if (embedder == EmbeddingSettings.BuiltIn && dimensions != MiniLmModel.Dimensions)
        {
            throw new InvalidOperationException(
                $"The built-in embedder ({MiniLmModel.ModelId}) makes {MiniLmModel.Dimensions}-dimensional vectors; Memory:EmbeddingDimensions is {dimensions}.");
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
        options.Embedder = embedder;
        options.SemanticWeight ??= embedder switch
        {
            EmbeddingSettings.Hashed => 0.0,
            EmbeddingSettings.BuiltIn => MemoryOptions.BuiltInSemanticWeight,
            _ => 1.0,
        };
        services.AddSingleton(options);
        // Stores write their integration events to the outbox (AddServiceDatabase dispatches them; these are no-ops then).
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<Outbox>();

        switch (embedder)
        {
            case EmbeddingSettings.BuiltIn:
                services.AddSingleton(new EmbeddingSettings(embedder, MiniLmModel.ModelId, dimensions));
                services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(MiniLmEmbedder.Shared);
                break;
            case EmbeddingSettings.Hashed:
                services.AddSingleton(new EmbeddingSettings(embedder, LocalEmbedder.ModelId, dimensions));
                services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new LocalEmbedder(dimensions));
                break;
            default:
                services.AddSingleton(ollama!);
                services.AddSingleton(new EmbeddingSettings(embedder, ollama!.Model, dimensions));
                services.AddHttpClient<OllamaEmbedder>(http => http.Timeout = TimeSpan.FromSeconds(30));
                services.AddTransient<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<OllamaEmbedder>());
                break;
        }

        services.AddTransient<ReflectionEmbedder>();
        services.AddSingleton<ReflectionStore>();
        services.AddSingleton<ReembeddingSignal>();
        services.AddTransient<Reembedding>();
        services.AddSingleton(sp => new Bm25Ranking(
            sp.GetRequiredService<NpgsqlDataSource>(),
            approximation: new Bm25Approximation(options.KeywordCandidatePostings, options.KeywordRescoredCandidates)));
        services.AddSingleton<VectorRanking>();
        services.AddTransient<ReflectionSearch>();
        services.AddMemories(configuration);
        return services;
    }

    /// <summary>Generic memories, patterns, worker history and optimisation, on the reflection store and search.</summary>
    private static IServiceCollection AddMemories(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(new MemoryCatalog(configuration.GetSection("Memory:ExtraCategories").Get<string[]>()));
        var optimization = configuration.GetSection(OptimizationOptions.SectionName).Get<OptimizationOptions>() ?? new OptimizationOptions();
        if (optimization.SimilarityThreshold is <= 0 or > 1)
        {
            throw new InvalidOperationException($"{OptimizationOptions.SectionName}:SimilarityThreshold must be in (0, 1], got {optimization.SimilarityThreshold}.");
        }
        services.AddSingleton(optimization);
        services.AddSingleton<MemoryAccess>();
        services.AddTransient<MemorySearch>();
        services.AddTransient<PatternStore>();
        services.AddTransient<MemoryOptimizer>();
        services.AddTransient<MemoryHealthReader>();
        return services;
    }
}
