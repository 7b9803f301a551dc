package io.stockade.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small parser for the varlink interface definition language, enough to check Stockade's IDL
 * against its Java records: interface name, named types (struct or enum), methods, errors.
 * Throws IllegalArgumentException with the line of the first syntax error.
 */
final class VarlinkIdl {
  /** A field type: {@code nullable}, then {@code array}/{@code dict} wrappers, then the base name. */
  record Type(boolean nullable, String container, Type element, String name, List<Field> struct, List<String> enumValues) {}

  record Field(String name, Type type) {}

  record Method(String name, List<Field> in, List<Field> out) {}

  record Interface(String name, Map<String, Type> types, Map<String, Method> methods, Map<String, List<Field>> errors) {}

  private static final Pattern TOKEN =
      Pattern.compile("\\s*(?:#[^\\n]*\\n?\\s*)*(->|\\[\\]|\\[string\\]|[(),:?]|[A-Za-z_][A-Za-z0-9_.\\-]*)");
  private static final Pattern FIELD_NAME = Pattern.compile("[A-Za-z](?:_?[A-Za-z0-9])*");
  private static final Pattern TYPE_NAME = Pattern.compile("[A-Z][A-Za-z0-9]*");

  private final String text;
  private int pos;

  private VarlinkIdl(String text) {
    this.text = text;
  }

  static Interface parse(String text) {
    return new VarlinkIdl(text).parseInterface();
  }

  private Interface parseInterface() {
    expect("interface");
    String name = next();
    if (!name.matches("[a-z]+(\\.[a-z0-9]+(-*[a-z0-9]+)*)+") && !name.matches("[A-Za-z]+(\\.[A-Za-z0-9]+)+")) {
      throw error("bad interface name " + name);
    }
    Map<String, Type> types = new LinkedHashMap<>();
    Map<String, Method> methods = new LinkedHashMap<>();
    Map<String, List<Field>> errors = new LinkedHashMap<>();
    while (true) {
      String keyword = peek();
      if (keyword == null) {
        break;
      }
      next();
      switch (keyword) {
        case "type": {
          String typeName = typeName();
          Type t = parseStructOrEnum();
          if (types.put(typeName, t) != null) {
            throw error("duplicate type " + typeName);
          }
          break;
        }
        case "method": {
          String methodName = typeName();
          List<Field> in = parseStruct();
          expect("->");
          List<Field> out = parseStruct();
          if (methods.put(methodName, new Method(methodName, in, out)) != null) {
            throw error("duplicate method " + methodName);
          }
          break;
        }
        case "error": {
          String errorName = typeName();
          if (errors.put(errorName, parseStruct()) != null) {
            throw error("duplicate error " + errorName);
          }
          break;
        }
        default:
          throw error("expected type, method or error, found " + keyword);
      }
    }
    for (Type t : types.values()) {
      checkReferences(t, types);
    }
    for (Method m : methods.values()) {
      m.in().forEach(f -> checkReferences(f.type(), types));
      m.out().forEach(f -> checkReferences(f.type(), types));
    }
    errors.values().forEach(fs -> fs.forEach(f -> checkReferences(f.type(), types)));
    return new Interface(name, types, methods, errors);
  }

  private void checkReferences(Type t, Map<String, Type> types) {
    if (t.element() != null) {
      checkReferences(t.element(), types);
    } else if (t.struct() != null) {
      t.struct().forEach(f -> checkReferences(f.type(), types));
    } else if (t.name() != null && !List.of("bool", "int", "float", "string", "object").contains(t.name())
        && !types.containsKey(t.name())) {
      throw new IllegalArgumentException("undefined type " + t.name());
    }
  }

  private String typeName() {
    String n = next();
    if (!TYPE_NAME.matcher(n).matches()) {
      throw error("bad type/method/error name " + n);
    }
    return n;
  }

  private Type parseStructOrEnum() {
    int start = pos;
    expect("(");
    // An enum's entries are bare names; a struct's have "name: type".
    String first = next();
    if (first.equals(")")) {
      return new Type(false, null, null, null, List.of(), null);
    }
    String after = next();
    pos = start;
    if (after.equals(":")) {
      return new Type(false, null, null, null, parseStruct(), null);
    }
    expect("(");
    List<String> values = new ArrayList<>();
    while (true) {
      String v = next();
      if (!FIELD_NAME.matcher(v).matches()) {
        throw error("bad enum value " + v);
      }
      values.add(v);
      String sep = next();
      if (sep.equals(")")) {
        return new Type(false, null, null, null, null, values);
      }
      if (!sep.equals(",")) {
        throw error("expected , or ) in enum, found " + sep);
      }
    }
  }

  private List<Field> parseStruct() {
    expect("(");
    List<Field> fields = new ArrayList<>();
    if (peek().equals(")")) {
      next();
      return fields;
    }
    while (true) {
      String name = next();
      if (!FIELD_NAME.matcher(name).matches()) {
        throw error("bad field name " + name);
      }
      expect(":");
      fields.add(new Field(name, parseType()));
      String sep = next();
      if (sep.equals(")")) {
        return fields;
      }
      if (!sep.equals(",")) {
        throw error("expected , or ) after field " + name + ", found " + sep);
      }
    }
  }

  private Type parseType() {
    String t = peek();
    switch (t) {
      case "?":
        next();
        Type inner = parseType();
        if (inner.nullable()) {
          throw error("double ?");
        }
        return new Type(true, inner.container(), inner.element(), inner.name(), inner.struct(), inner.enumValues());
      case "[]":
        next();
        return new Type(false, "array", parseType(), null, null, null);
      case "[string]":
        next();
        return new Type(false, "dict", parseType(), null, null, null);
      case "(":
        return parseStructOrEnum();
      default:
        next();
        return new Type(false, null, null, t, null, null);
    }
  }

  private String peek() {
    int save = pos;
    String t = nextOrNull();
    pos = save;
    return t;
  }

  private String next() {
    String t = nextOrNull();
    if (t == null) {
      throw error("unexpected end of interface");
    }
    return t;
  }

  private String nextOrNull() {
    Matcher m = TOKEN.matcher(text);
    m.region(pos, text.length());
    if (!m.lookingAt()) {
      if (text.substring(pos).isBlank() || text.substring(pos).strip().startsWith("#")) {
        pos = text.length();
        return null;
      }
      throw error("unexpected character");
    }
    pos = m.end();
    return m.group(1);
  }

  private void expect(String token) {
    String t = next();
    if (!t.equals(token)) {
      throw error("expected '" + token + "', found '" + t + "'");
    }
  }

  private IllegalArgumentException error(String message) {
    int line = 1;
    for (int i = 0; i < Math.min(pos, text.length()); i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return new IllegalArgumentException("IDL line " + line + ": " + message);
  }
}
