using Polly;
using Polly.CircuitBreaker;

namespace SessionBuddy.AkoshaSync.Push;

/// <summary>
/// A Polly strategy that opens after exactly <c>threshold</c> consecutive failed requests (any success in between
/// starts the count again; no sampling window), rejects requests with <see cref="BrokenCircuitException"/> while open,
/// lets one trial request through once the break has passed (half-open) and closes when that trial succeeds (a failed
/// trial opens it for another break). Outcomes <paramref name="isFailure"/> does not call a failure count as successes,
/// except cancellations, which count as nothing. Polly's own circuit breaker judges a failure ratio over a sampling
/// window, where a success early in the window keeps the circuit closed through a later run of failures.
/// </summary>
public sealed class ConsecutiveFailureCircuitBreaker(int threshold, TimeSpan breakDuration, Func<Exception, bool> isFailure, TimeProvider time)
    : ResilienceStrategy
{
    private readonly Lock _lock = new();
    private CircuitState _state = CircuitState.Closed;
    private int _consecutiveFailures;
    private DateTimeOffset _blockedUntil;
    private bool _trialInFlight;

    /// <summary>Closed, Open, or HalfOpen (also once an open circuit's break has passed and no trial was made yet).</summary>
    public CircuitState State
    {
        get
        {
            lock (_lock)
            {
                return _state == CircuitState.Open && time.GetUtcNow() >= _blockedUntil ? CircuitState.HalfOpen : _state;
            }
        }
    }

    /// <summary>Failed requests since the last success (while closed).</summary>
    public int ConsecutiveFailures
    {
        get
        {
            lock (_lock)
            {
                return _consecutiveFailures;
            }
        }
    }

    protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        bool trial;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_state == CircuitState.Open && now >= _blockedUntil)
            {
                _state = CircuitState.HalfOpen;
            }
            if (_state == CircuitState.Open || (_state == CircuitState.HalfOpen && _trialInFlight))
            {
                var retryAfter = _state == CircuitState.Open ? _blockedUntil - now : breakDuration;
                return Outcome.FromException<TResult>(new BrokenCircuitException(
                    $"the circuit is open after {threshold} consecutive failed requests to the hub; the next trial is due in {retryAfter.TotalSeconds:0.#} s",
                    retryAfter));
            }
            trial = _state == CircuitState.HalfOpen;
            _trialInFlight |= trial;
        }

        var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);

        lock (_lock)
        {
            if (trial)
            {
                _trialInFlight = false;
            }
            if (outcome.Exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
            {
                return outcome;
            }
            if (outcome.Exception is { } exception && isFailure(exception))
            {
                _consecutiveFailures++;
                if (trial || (_state == CircuitState.Closed && _consecutiveFailures >= threshold))
                {
                    _state = CircuitState.Open;
                    _blockedUntil = time.GetUtcNow() + breakDuration;
                }
            }
            else
            {
                _consecutiveFailures = 0;
                _state = CircuitState.Closed;
            }
        }
        return outcome;
    }
}
