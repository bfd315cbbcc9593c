namespace Recur.Tensors;

/// <summary>
/// Grow-only scratch buffers reused across calls, so hot loops allocate nothing in steady
/// state. Not thread-safe: one pool per owner (layer, thread).
/// </summary>
public sealed class ScratchBuffer
{
    private float[] _buffer = [];

    /// <summary>A span of exactly <paramref name="length"/> floats; contents are unspecified.</summary>
    public Span<float> Get(int length)
    {
        if (_buffer.Length < length) _buffer = new float[length];
        return _buffer.AsSpan(0, length);
    }

    /// <summary>The whole backing array, at least <paramref name="length"/> long.</summary>
    public float[] GetArray(int length)
    {
        if (_buffer.Length < length) _buffer = new float[length];
        return _buffer;
    }
}
