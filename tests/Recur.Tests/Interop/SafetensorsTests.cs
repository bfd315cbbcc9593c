using System.Buffers.Binary;
using System.Text;
using Recur.Interop;
using Recur.Tensors;

namespace Recur.Tests.Interop;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-st-" + Guid.NewGuid().ToString("N"));

    public SafetensorsTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static SafetensorsWriter Sample()
    {
        var w = new SafetensorsWriter();
        w.Metadata["format"] = "test/1";
        w.Metadata["hidden_size"] = "37";
        w.Metadata["unicode"] = "naïve ∂L/∂h \"quoted\" <tag>";
        w.Add("weight", new float[] { 1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f }, 2, 3);
        w.Add("grad.weight", new double[] { 0.1, -1e300, Math.PI }, 3);
        w.Add("lengths", new long[] { 7, 1, long.MaxValue, long.MinValue }, 4);
        w.Add("scalar", new float[] { 42f });
        w.Add("empty", Array.Empty<float>(), 0, 5);
        w.Add("t", new Tensor(new float[] { 1, 2, 3, 4 }, 2, 1, 2));
        return w;
    }

    [Fact]
    public void RoundTrip_KeepsValuesShapesDtypesAndMetadata()
    {
        string path = Path.Combine(_dir, "a.safetensors");
        Sample().Save(path);
        Assert.False(File.Exists(path + ".tmp"));

        var f = SafetensorsFile.Read(path);
        Assert.Equal("test/1", f.Metadata["format"]);
        Assert.Equal("37", f.Metadata["hidden_size"]);
        Assert.Equal("naïve ∂L/∂h \"quoted\" <tag>", f.Metadata["unicode"]);
        Assert.Equal(6, f.Tensors.Count);

        var w = f["weight"];
        Assert.Equal(SafetensorsDType.F32, w.DType);
        Assert.Equal([2, 3], w.Shape);
        Assert.Equal(new float[] { 1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f }, w.ToFloat32());
        Assert.Equal(-0f, w.ToFloat32()[5]);
        Assert.True(float.IsNegative(w.ToFloat32()[5]));
        Assert.Equal((double)3e-8f, w.ToFloat64()[2]);

        var g = f["grad.weight"];
        Assert.Equal(SafetensorsDType.F64, g.DType);
        Assert.Equal(new[] { 0.1, -1e300, Math.PI }, g.ToFloat64());
        Assert.Equal((float)Math.PI, g.ToFloat32()[2]);
        Assert.Equal(float.NegativeInfinity, g.ToFloat32()[1]);

        var l = f["lengths"];
        Assert.Equal(SafetensorsDType.I64, l.DType);
        Assert.Equal(new[] { 7L, 1, long.MaxValue, long.MinValue }, l.ToInt64());
        Assert.Equal(7f, l.ToFloat32()[0]);

        Assert.Empty(f["scalar"].Shape);
        Assert.Equal(42f, f["scalar"].ToFloat32()[0]);
        Assert.Equal([0, 5], f["empty"].Shape);
        Assert.Empty(f["empty"].ToFloat32());

        var t = f["t"].ToTensor();
        Assert.Equal([2, 1, 2], t.Shape);
        Assert.Equal(4f, t[1, 0, 1]);
        Assert.Equal([1L, 2, 3, 4], f["t"].ToInt64());
    }

    [Fact]
    public void Writer_PadsHeaderTo8AndAlignsEveryTensor()
    {
        var ms = new MemoryStream();
        Sample().Write(ms);
        byte[] bytes = ms.ToArray();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + n) % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":", header);
        var f = SafetensorsFile.Parse(bytes);
        long offset = 0;
        foreach (var t in f.Tensors)
        {
            // tensors are listed by offset; 8-byte ones come first
            int size = t.DType.ElementSize();
            Assert.Equal(0, offset % size);
            offset += t.Bytes.Length;
        }
        Assert.Equal(bytes.Length - 8 - (long)n, offset);
        Assert.Equal(SafetensorsDType.F64, f.Tensors[0].DType);
    }

    [Fact]
    public void Save_IsAtomicAndOverwrites()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        new SafetensorsWriter().Add("a", new float[] { 1 }, 1).Save(path);
        new SafetensorsWriter().Add("b", new double[] { 2, 3 }, 2).Save(path);
        var f = SafetensorsFile.Read(path);
        Assert.False(f.Contains("a"));
        Assert.Equal(new[] { 2.0, 3.0 }, f["b"].ToFloat64());
        Assert.Empty(f.Metadata);
        Assert.Equal(["m.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Writer_RejectsBadArguments()
    {
        var w = new SafetensorsWriter().Add("a", new float[] { 1, 2 }, 2);
        Assert.Contains("added twice", Assert.Throws<ArgumentException>(() => w.Add("a", new float[] { 1 }, 1)).Message);
        Assert.Contains("3 values given for shape [2, 2]", Assert.Throws<ArgumentException>(() => w.Add("b", new float[] { 1, 2, 3 }, 2, 2)).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => w.Add("__metadata__", new float[] { 1 }, 1)).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => w.Add("c", new float[] { 1 }, -1)).Message);
    }

    [Fact]
    public void Reader_MissingTensorAndNonIntegerToInt64_AreClearErrors()
    {
        var ms = new MemoryStream();
        new SafetensorsWriter().Add("a", new float[] { 1.5f }, 1).Write(ms);
        var f = SafetensorsFile.Parse(ms.ToArray());
        Assert.Contains("no tensor 'zz'", Assert.Throws<ArgumentException>(() => f["zz"]).Message);
        var e = Assert.Throws<InvalidDataException>(() => f["a"].ToInt64());
        Assert.Contains("'a'", e.Message);
        Assert.Contains("not an integer", e.Message);
    }

    [Fact]
    public void Reader_ReadsFromNonSeekableStream()
    {
        var ms = new MemoryStream();
        Sample().Write(ms);
        var f = SafetensorsFile.Read(new ForwardOnlyStream(ms.ToArray()));
        Assert.Equal(6, f.Tensors.Count);
    }

    // ------------------------------------------------------------------ corrupted files

    /// <summary>A file from a raw header string (padded to 8) and a data block.</summary>
    private static byte[] Raw(string header, int dataBytes, ulong? headerLengthOverride = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        int pad = (8 - (8 + h.Length) % 8) % 8;
        var bytes = new byte[8 + h.Length + pad + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLengthOverride ?? (ulong)(h.Length + pad));
        h.CopyTo(bytes, 8);
        for (int i = 0; i < pad; i++) bytes[8 + h.Length + i] = (byte)' ';
        return bytes;
    }

    private static string Fails(byte[] bytes)
    {
        var e = Record.Exception(() => SafetensorsFile.Parse(bytes, "x.safetensors"));
        Assert.NotNull(e);
        Assert.IsType<InvalidDataException>(e);
        Assert.Contains("x.safetensors", e.Message);
        // The streamed reader (seekable and not) reports the same problem in the same words.
        var seekable = Assert.IsType<InvalidDataException>(Record.Exception(() => SafetensorsFile.Read(new MemoryStream(bytes), "x.safetensors")));
        Assert.Equal(e.Message, seekable.Message);
        var forward = Assert.IsType<InvalidDataException>(Record.Exception(() => SafetensorsFile.Read(new ForwardOnlyStream(bytes), "x.safetensors")));
        // Without a length to compare with, a huge header length is reported against the header limit instead.
        if (e.Message.Contains("header length")) Assert.Contains("header length", forward.Message);
        else Assert.Equal(e.Message, forward.Message);
        return e.Message;
    }

    [Fact]
    public void Valid_RawFile_Parses()
    {
        var f = SafetensorsFile.Parse(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}", 16));
        Assert.Equal(2, f.Tensors.Count);
    }

    [Fact]
    public void Truncated_IsClearError()
    {
        var ms = new MemoryStream();
        Sample().Write(ms);
        byte[] full = ms.ToArray();
        // cut inside the data block
        string m = Fails(full[..(full.Length - 5)]);
        Assert.Matches("past the end of the data block|trailing|hole", m);
        Assert.Contains("truncated", Fails(full[..(full.Length - 20)]));
        // cut inside the header
        Assert.Contains("exceeds the file size", Fails(full[..40]));
        // cut inside the length
        Assert.Contains("too short", Fails(full[..5]));
        Assert.Contains("too short", Fails([]));
    }

    [Fact]
    public void HeaderLengthTooBig_IsClearError()
    {
        var bytes = Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        Assert.Contains("exceeds the file size", Fails(Raw("{}", 0, headerLengthOverride: 1000)));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Assert.Contains("exceeds the file size", Fails(bytes));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length - 7);
        Assert.Contains("exceeds the file size", Fails(bytes));
    }

    [Fact]
    public void OverlappingOffsets_IsClearError()
    {
        string m = Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        Assert.Contains("overlaps", m);
        Assert.Contains("'a'", m);
        Assert.Contains("'b'", m);
        // the same range twice
        Assert.Contains("overlaps", Fails(Raw("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)));
    }

    [Fact]
    public void OffsetPastEnd_IsClearError()
    {
        string m = Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8));
        Assert.Contains("'a'", m);
        Assert.Contains("past the end of the data block", m);
        Assert.Contains("past the end", Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[9999999999,9999999999]}}", 0)));
    }

    [Fact]
    public void BadOffsets_AreClearErrors()
    {
        Assert.Contains("end before they begin", Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8)));
        Assert.Contains("not a non-negative integer", Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8)));
        Assert.Contains("data_offsets", Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4)));
        Assert.Contains("data_offsets", Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)));
        Assert.Contains("hole", Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)));
        Assert.Contains("trailing", Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8)));
    }

    [Theory]
    [InlineData("I32")]
    [InlineData("F8_E4M3")]
    [InlineData("bf16")]
    [InlineData("bogus")]
    public void UnsupportedDtype_NamesTensorAndDtype(string dtype)
    {
        string m = Fails(Raw("{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        Assert.Contains("'w'", m);
        Assert.Contains($"'{dtype}'", m);
        Assert.Contains("not supported", m);
    }

    [Fact]
    public void ShapeMismatch_IsClearError()
    {
        string m = Fails(Raw("{\"w\":{\"dtype\":\"F64\",\"shape\":[2,3],\"data_offsets\":[0,40]}}", 40));
        Assert.Contains("'w'", m);
        Assert.Contains("needs 48 bytes", m);
        Assert.Contains("hold 40", m);
        Assert.Contains("more than 2^63", Fails(Raw("{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", 8)));
        Assert.Contains("non-negative", Fails(Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)));
        Assert.Contains("non-negative", Fails(Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)));
        Assert.Contains("shape", Fails(Raw("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4)));
    }

    [Fact]
    public void BadHeader_IsClearError()
    {
        Assert.Contains("not valid UTF-8 JSON", Fails(Raw("{\"a\":", 0)));
        Assert.Contains("JSON object", Fails(Raw("[1,2,3]", 0)));
        Assert.Contains("must be a string", Fails(Raw("{\"__metadata__\":{\"n\":37}}", 0)));
        Assert.Contains("must be an object", Fails(Raw("{\"__metadata__\":[]}", 0)));
        Assert.Contains("twice", Fails(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)));
        Assert.Contains("dtype", Fails(Raw("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4)));
        Assert.Contains("expected an object", Fails(Raw("{\"a\":3}", 0)));
        var bad = Raw("{\"a\":\"xx\"}", 0);
        bad[14] = 0xFF; // invalid UTF-8 inside the string
        Assert.Contains("not valid UTF-8 JSON", Fails(bad));
    }

    [Fact]
    public void EmptyFileOfTensors_IsValid()
    {
        var f = SafetensorsFile.Parse(Raw("{}", 0));
        Assert.Empty(f.Tensors);
        Assert.Empty(f.Metadata);
    }

    [Fact]
    public void Read_FixtureFile_HasFormatMetadata()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "fixtures");
        string path = Path.Combine(dir, "lstm_1l.safetensors");
        Assert.True(File.Exists(path), $"fixture {path} not found");
        var f = SafetensorsFile.Read(path);
        Assert.Equal("rnn-reference-fixture/1", f.Metadata["format"]);
        Assert.Equal(SafetensorsDType.F64, f["output"].DType);
        Assert.Equal(SafetensorsDType.F32, f["x"].DType);
        Assert.Equal([6, 3, 7], f["x"].Shape);
    }

    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
