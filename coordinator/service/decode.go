package service

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A request that does not decode (a string field that is not valid UTF-8,
// damaged wire data) is the caller's error, but grpc-go answers every
// failed Unmarshal with Internal. So the server's codec (requestCodec)
// does not fail: it leaves the message empty and notes the error under
// the message's pointer in undecodable, and the outermost interceptors
// (unaryInterceptor, streamInterceptor's RecvMsg) take it from there and
// answer InvalidArgument before any handler sees the message. Every entry
// is taken: the interceptors see every message the codec decodes.
var undecodable sync.Map // request message (pointer) → error

// requestCodec is the proto codec of the server (grpc.ForceServerCodecV2)
// that defers decoding errors to the interceptors; marshalling is the
// proto codec's.
type requestCodec struct{ encoding.CodecV2 }

// serverCodec returns the server option that installs requestCodec.
func serverCodec() grpc.ServerOption {
	return grpc.ForceServerCodecV2(requestCodec{encoding.GetCodecV2("proto")})
}

// Unmarshal decodes data into v; see undecodable.
func (c requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok {
		return err
	}
	proto.Reset(m)
	b := data.Materialize()
	if field := badString(m.ProtoReflect().Descriptor(), b, "", 0); field != "" {
		err = fmt.Errorf("%s is not valid UTF-8", field)
	}
	undecodable.Store(v, err)
	return nil
}

// decodeError takes the error requestCodec noted for req, as the
// InvalidArgument status the caller gets; nil if req decoded.
func decodeError(req any) error {
	err, ok := undecodable.LoadAndDelete(req)
	if !ok {
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "the request does not decode: %v", err)
}

// maxDecodeDepth bounds badString's recursion: the API's messages nest a
// few levels, and a forged message nesting millions must not exhaust the
// stack.
const maxDecodeDepth = 16

// badString returns the path (a.b.c) of the first string field in the
// wire data b of a message md that is not valid UTF-8, or "" when there is
// none (or b is damaged before it).
func badString(md protoreflect.MessageDescriptor, b []byte, prefix string, depth int) string {
	if depth > maxDecodeDepth {
		return ""
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ""
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			continue
		}
		name := prefix + string(fd.Name())
		switch fd.Kind() {
		case protoreflect.StringKind:
			if !utf8.Valid(v) {
				return name
			}
		case protoreflect.MessageKind:
			if f := badString(fd.Message(), v, name+".", depth+1); f != "" {
				return f
			}
		}
	}
	return ""
}

// decodedStream is a server stream whose RecvMsg answers a message that
// did not decode with InvalidArgument (see undecodable).
type decodedStream struct{ grpc.ServerStream }

// RecvMsg implements grpc.ServerStream.
func (s decodedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return decodeError(m)
}
