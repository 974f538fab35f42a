using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SessionBuddy.Memory.Reflections;

/// <summary>A validated reflection about to be stored.</summary>
public sealed record NewReflection(
    Guid OperationId,
    string Content,
    IReadOnlyList<string> Tags,
    string? Project,
    string? SessionId,
    JsonElement? Metadata,
    string Category = MemoryCategories.Reflection)
{
    /// <summary>
    /// Identity for de-duplication within a project: the exact content, and for other memory categories
    /// the category too (reflections keep the plain content hash).
    /// </summary>
    /// <summary>The text its vector is made from (<see cref="Embeddings.EmbeddedText"/>).</summary>
    public string EmbeddedText => Embeddings.EmbeddedText.Of(Category, Content);

    public string ContentHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        Category == MemoryCategories.Reflection ? Content : Category + "\0" + Content)));
}

/// <summary>What storing one reflection did: <see cref="Deduplicated"/> when the project already had this content.</summary>
public sealed record StoreOutcome(Guid Id, bool Deduplicated, bool Embedded, DateTimeOffset CreatedAt);

/// <summary>A stored reflection as search results show it.</summary>
public sealed record StoredReflection(
    Guid Id,
    string? Project,
    string Content,
    IReadOnlyList<string> Tags,
    string? SessionId,
    JsonElement Metadata,
    DateTimeOffset CreatedAt);
