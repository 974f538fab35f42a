using System.ComponentModel.DataAnnotations;

namespace SessionBuddy.Gateway;

/// <summary>
/// Request rates per bearer token and per client address (token buckets), and calls of worker tools in
/// flight per caller; bound from configuration section "RateLimits". The defaults are far above what one
/// agent does, and above the gateway bench (16 clients, about 1000 calls/s from one address).
/// </summary>
public sealed class RateLimitOptions : IValidatableObject
{
    public const string SectionName = "RateLimits";

    /// <summary>Requests per second each valid token may sustain; 0 turns the limit off.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "must be at least 0 (0 turns the limit off)")]
    public int PerTokenPerSecond { get; set; } = 2000;

    public int PerTokenBurst { get; set; } = 4000;

    /// <summary>Requests per second each client address may sustain (with or without a token); 0 turns it off.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "must be at least 0 (0 turns the limit off)")]
    public int PerAddressPerSecond { get; set; } = 4000;

    public int PerAddressBurst { get; set; } = 8000;

    /// <summary>Calls of worker tools (which run commands) one caller may have in flight.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least 1")]
    public int WorkerCallsPerCaller { get; set; } = 16;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PerTokenBurst < PerTokenPerSecond)
        {
            yield return new ValidationResult($"must be at least {nameof(PerTokenPerSecond)} ({PerTokenPerSecond})", [nameof(PerTokenBurst)]);
        }
        if (PerAddressBurst < PerAddressPerSecond)
        {
            yield return new ValidationResult($"must be at least {nameof(PerAddressPerSecond)} ({PerAddressPerSecond})", [nameof(PerAddressBurst)]);
        }
    }
}
