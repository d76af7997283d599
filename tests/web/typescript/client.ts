// A mini-program's use of the generated types (api.d.ts, from /api/v1/openapi.json): login,
// one intake turn drawn natively, my cases. tsc --strict must accept it, and must refuse the
// lines marked @ts-expect-error (proof that the types are real, not `any`).
import type { components, paths } from "./api";

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;

type Login = Json<paths["/api/v1/auth/wxa-login"]["post"]["requestBody"]>;
type LoginReply = Json<paths["/api/v1/auth/wxa-login"]["post"]["responses"]["200"]>;
type Message = Json<paths["/api/v1/intake/messages"]["post"]["requestBody"]>;
type Turn = Json<paths["/api/v1/intake/messages"]["post"]["responses"]["200"]>;
type MyCases = Json<paths["/api/v1/me/cases"]["get"]["responses"]["200"]>;
type Prompt = components["schemas"]["Prompt"];
type ApiError = components["schemas"]["Error"];

export const login: Login = { code: "0a3xyz", device: "phone-1" };
export const typed: Message = { text: "你好" };
export const answer: Message = { key: "amount", value: 15000 };
export const unknown: Message = { key: "other_party_phone", value: null };

export function authorization(reply: LoginReply): string {
  const seconds: number = reply.expires_in;
  return `${reply.token_type} ${reply.token} (${seconds}s)`;
}

// Every kind of prompt gets a control; a kind added to the API breaks this switch.
export function draw(turn: Turn): string {
  const prompt: Prompt = turn.prompt;
  const head = `${prompt.step}/${prompt.of} ${prompt.label}`;
  switch (prompt.kind) {
    case "consent":
    case "choice":
      return head + prompt.options.map((o) => `[${o.label}]`).join("");
    case "review":
      return head + prompt.options.map((o) => `${o.label}：${o.answer ?? ""} [改 ${o.value}]`).join("\n");
    case "text":
    case "phone":
    case "amount":
    case "date":
      return head + (prompt.optional ? "（可不填）" : "");
    case "done":
      return `${turn.reply} ${turn.case_code ?? ""}`;
    default: {
      const never: never = prompt.kind;
      return never;
    }
  }
}

export function codes(mine: MyCases): string[] {
  return mine.cases.map((c) => `${c.code} ${c.status_name}`);
}

export function problem(error: ApiError): string {
  return `${error.error.code}: ${error.error.message}`;
}

// @ts-expect-error a prompt kind is one of a closed set
export const badKind: Prompt["kind"] = "picker";
// @ts-expect-error a turn's reply is text
export const badReply: Turn["reply"] = 3;
// @ts-expect-error a login needs the code from wx.login()
export const noCode: Login = { device: "x" };
