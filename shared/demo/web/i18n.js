// The pages' words in Japanese, Chinese and English. The language follows the browser's until the
// user picks one; the choice is kept in localStorage.

const words = {
  en: {
    live: 'LIVE', paused: 'Paused', created: 'Starting soon', ended: 'Ended',
    viewers: 'viewers', likes: 'likes', coins: 'coins', say: 'Say something…', send: 'Send',
    like: 'Like', gifts: 'Gifts', joined: 'joined', left: 'left', bought: 'bought',
    sent: 'sent', levelUp: 'reached level', you: 'You', notice: 'Notice',
    rejected: 'Not sent: ', masked: 'Shown to the room with words masked', dropped: 'Not delivered to the room',
    streamOnline: 'The anchor is streaming', streamOffline: 'Waiting for the anchor’s stream',
    streamForbidden: 'The stream has ended', noVideo: 'No video in the dev server: this is where the player goes.',
    playUrls: 'Play URLs', noPass: 'This link carries no viewer pass. Open the room from the merchant console (“Open a viewer”).',
    reconnecting: 'Reconnecting…', endedBanner: 'The live has ended. Thank you for watching!',
    newGift: 'New gift', buy: 'Buy', pinned: 'Now selling', notEnough: 'Not enough coins',
    level: 'Lv', combo: 'combo',
    // console
    console: 'Merchant console', merchantKey: 'Merchant key', keyHint: 'The dev server prints it when it starts. It is kept only in this tab.',
    useKey: 'Use key', forget: 'Forget key', createRoom: 'Create a room', title: 'Title', anchor: 'Anchor ID', roomId: 'Room ID (optional)',
    create: 'Create', openRoom: 'Open a room', open: 'Open', room: 'Room', goLive: 'Go live', pause: 'Pause', end: 'End',
    announce: 'Announcement', post: 'Post', products: 'Products', pin: 'Pin', unpin: 'Unpin', catalog: 'Gift catalog',
    addGift: 'Add gift', price: 'Price', name: 'Name', topUp: 'Top up coins', amount: 'Amount', user: 'User ID',
    viewersSection: 'Viewers', openViewer: 'Open a viewer', nick: 'Nickname', stream: 'Stream', pushUrl: 'Get push URL',
    startPush: 'Anchor starts pushing', stopPush: 'Anchor stops pushing', purchase: 'Record a purchase', quantity: 'Quantity',
    record: 'Record', summary: 'Summary', leaderboard: 'Top gifters', chart: 'Viewers and likes over time',
    duration: 'Duration', peak: 'Peak viewers', messages: 'Messages', orders: 'Orders', revenue: 'Revenue',
    insecure: 'The console only runs over HTTPS, or on this computer (localhost). Open it over HTTPS.',
    done: 'Done', currency: 'Currency', product: 'Product', refresh: 'Refresh',
  },
  ja: {
    live: 'ライブ中', paused: '一時停止中', created: 'まもなく開始', ended: '終了',
    viewers: '人視聴中', likes: 'いいね', coins: 'コイン', say: 'コメントする…', send: '送信',
    like: 'いいね', gifts: 'ギフト', joined: 'さんが入室しました', left: 'さんが退室しました', bought: 'さんが購入しました',
    sent: 'さんが贈りました', levelUp: 'さんがレベルアップ', you: 'あなた', notice: 'お知らせ',
    rejected: '送信できません: ', masked: '一部の言葉を伏せて表示しました', dropped: 'ルームに届きませんでした',
    streamOnline: '配信中', streamOffline: '配信の開始を待っています',
    streamForbidden: '配信は終了しました', noVideo: '開発サーバーには映像がありません。ここにプレーヤーが入ります。',
    playUrls: '再生URL', noPass: 'このリンクには視聴者パスがありません。マーチャントコンソールの「視聴者を開く」から開いてください。',
    reconnecting: '再接続中…', endedBanner: 'ライブは終了しました。ご視聴ありがとうございました！',
    newGift: '新しいギフト', buy: '購入', pinned: '販売中', notEnough: 'コインが足りません',
    level: 'Lv', combo: 'コンボ',
    console: 'マーチャントコンソール', merchantKey: 'マーチャントキー', keyHint: '開発サーバーの起動時に表示されます。このタブにだけ保存されます。',
    useKey: 'キーを使う', forget: 'キーを消す', createRoom: 'ルームを作成', title: 'タイトル', anchor: '配信者ID', roomId: 'ルームID（任意）',
    create: '作成', openRoom: 'ルームを開く', open: '開く', room: 'ルーム', goLive: 'ライブ開始', pause: '一時停止', end: '終了',
    announce: 'お知らせ', post: '掲示', products: '商品', pin: 'ピン留め', unpin: 'ピン解除', catalog: 'ギフト一覧',
    addGift: 'ギフトを追加', price: '価格', name: '名前', topUp: 'コインをチャージ', amount: '数量', user: 'ユーザーID',
    viewersSection: '視聴者', openViewer: '視聴者を開く', nick: 'ニックネーム', stream: '配信', pushUrl: 'プッシュURLを取得',
    startPush: '配信者がプッシュ開始', stopPush: '配信者がプッシュ停止', purchase: '購入を記録', quantity: '個数',
    record: '記録', summary: 'サマリー', leaderboard: 'ギフトランキング', chart: '視聴者数といいねの推移',
    duration: '配信時間', peak: '最大視聴者数', messages: 'コメント', orders: '注文', revenue: '売上',
    insecure: 'コンソールは HTTPS か、このコンピューター（localhost）でのみ動作します。HTTPS で開いてください。',
    done: '完了', currency: '通貨', product: '商品', refresh: '更新',
  },
  zh: {
    live: '直播中', paused: '已暂停', created: '即将开始', ended: '已结束',
    viewers: '人观看', likes: '点赞', coins: '金币', say: '说点什么…', send: '发送',
    like: '点赞', gifts: '礼物', joined: '进入了直播间', left: '离开了直播间', bought: '购买了',
    sent: '送出了', levelUp: '升级到', you: '你', notice: '公告',
    rejected: '未发送：', masked: '部分词语已被屏蔽后显示', dropped: '消息未送达直播间',
    streamOnline: '主播正在推流', streamOffline: '等待主播开始推流',
    streamForbidden: '直播流已结束', noVideo: '开发服务器没有视频：播放器将显示在这里。',
    playUrls: '播放地址', noPass: '此链接没有观众凭证。请在商家控制台点击“打开观众页”。',
    reconnecting: '正在重新连接…', endedBanner: '直播已结束，感谢观看！',
    newGift: '新礼物', buy: '购买', pinned: '正在热卖', notEnough: '金币不足',
    level: 'Lv', combo: '连击',
    console: '商家控制台', merchantKey: '商家密钥', keyHint: '开发服务器启动时会打印。只保存在此标签页中。',
    useKey: '使用密钥', forget: '清除密钥', createRoom: '创建直播间', title: '标题', anchor: '主播 ID', roomId: '直播间 ID（可选）',
    create: '创建', openRoom: '打开直播间', open: '打开', room: '直播间', goLive: '开始直播', pause: '暂停', end: '结束',
    announce: '公告', post: '发布', products: '商品', pin: '置顶', unpin: '取消置顶', catalog: '礼物目录',
    addGift: '添加礼物', price: '价格', name: '名称', topUp: '充值金币', amount: '数量', user: '用户 ID',
    viewersSection: '观众', openViewer: '打开观众页', nick: '昵称', stream: '直播流', pushUrl: '获取推流地址',
    startPush: '主播开始推流', stopPush: '主播停止推流', purchase: '记录购买', quantity: '件数',
    record: '记录', summary: '直播总结', leaderboard: '送礼榜', chart: '观众与点赞趋势',
    duration: '时长', peak: '观众峰值', messages: '消息', orders: '订单', revenue: '销售额',
    insecure: '控制台只能通过 HTTPS 或在本机（localhost）运行。请使用 HTTPS 打开。',
    done: '完成', currency: '货币', product: '商品', refresh: '刷新',
  },
};

export const languages = { ja: '日本語', zh: '中文', en: 'English' };

export function pickLanguage() {
  const saved = localStorage.getItem('uriba.lang');
  if (saved && words[saved]) return saved;
  for (const l of navigator.languages ?? [navigator.language]) {
    const short = String(l).slice(0, 2).toLowerCase();
    if (words[short]) return short;
  }
  return 'en';
}

let lang = pickLanguage();

export const t = (key) => words[lang][key] ?? words.en[key] ?? key;
export const currentLanguage = () => lang;

/** translate fills every [data-t] element's text and [data-t-placeholder] placeholder. */
export function translate(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll('[data-t-placeholder]')) el.placeholder = t(el.dataset.tPlaceholder);
}

/** languageSwitch fills a <select> with the languages and calls onChange after a switch. */
export function languageSwitch(select, onChange) {
  for (const [code, label] of Object.entries(languages)) select.add(new Option(label, code, false, code === lang));
  select.addEventListener('change', () => {
    lang = select.value;
    localStorage.setItem('uriba.lang', lang);
    translate();
    onChange?.();
  });
}
